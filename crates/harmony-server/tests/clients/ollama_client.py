"""Drives the gateway's Ollama side (/api/chat) with the official `ollama` Python package
and prints, as one JSON object on stdout, what the package handed back.

Usage: python3 ollama_client.py BASE_URL
"""
import json
import sys

import ollama

client = ollama.Client(host=sys.argv[1], timeout=30)
MODEL = "gpt-oss:20b"
TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}]
USER = [{"role": "user", "content": "What is the weather in Paris?"}]
RESULT = '{"temp_c": 18}'


def calls(message):
    return [{"name": c.function.name, "arguments": dict(c.function.arguments)}
            for c in message.tool_calls or []]


out = {}
try:
    r = client.chat(model=MODEL, messages=USER, tools=TOOLS, think=True, stream=False)
    out["plain"] = {"done": r.done, "done_reason": r.done_reason, "calls": calls(r.message),
                    "thinking": r.message.thinking, "content": r.message.content}
    messages = USER + [r.message, {"role": "tool", "tool_name": "get_weather", "content": RESULT}]
    a = client.chat(model=MODEL, messages=messages, tools=TOOLS, think=True, stream=False)
    out["answer"] = {"content": a.message.content, "thinking": a.message.thinking}

    thinking, content, streamed_calls, done = "", "", [], []
    for part in client.chat(model=MODEL, messages=USER, tools=TOOLS, think=True, stream=True):
        thinking += part.message.thinking or ""
        content += part.message.content or ""
        streamed_calls += calls(part.message)
        if part.done:
            done.append(part.done_reason)
    out["stream"] = {"thinking": thinking, "content": content, "calls": streamed_calls,
                     "done": done}
    text = "".join(p.message.content or "" for p in
                   client.chat(model=MODEL, messages=messages, tools=TOOLS, stream=True))
    out["stream_answer"] = text
except ollama.ResponseError as e:
    out["error"] = {"status": e.status_code, "message": str(e.error)}
print(json.dumps(out))

"""Drives the gateway with the official `openai` Python package and prints, as one JSON
object on stdout, what the SDK handed back. The Rust test (tests/clients.rs) asserts on it.

Usage: python3 openai_client.py BASE_URL chat|responses
Every request declares one tool, `get_weather(city)`; the fake upstream's scripted model
calls it, and after a tool result answers "The tool returned: <result>".
"""
import json
import sys

import openai

BASE, MODE = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=BASE + "/v1", api_key="sk-test", max_retries=0, timeout=30)
MODEL = "gpt-oss:20b"
PARAMS = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "City name"}},
    "required": ["city"],
}
CHAT_TOOLS = [{"type": "function", "function": {"name": "get_weather",
                                                "description": "Weather in a city",
                                                "parameters": PARAMS}}]
RESP_TOOLS = [{"type": "function", "name": "get_weather", "description": "Weather in a city",
               "parameters": PARAMS}]
RESULT = '{"temp_c": 18, "sky": "clear"}'
USER = [{"role": "user", "content": "What is the weather in Paris?"}]


def extra(obj, *names):
    """A field the SDK's models do not declare (reasoning spellings) from model_extra."""
    got = {}
    for name in names:
        value = getattr(obj, name, None)
        if value is None and getattr(obj, "model_extra", None):
            value = obj.model_extra.get(name)
        if value is not None:
            got[name] = value
    return got


def chat():
    out = {}
    # 1. Not streamed: the call, then the answer to its result.
    first = client.chat.completions.create(model=MODEL, messages=USER, tools=CHAT_TOOLS)
    choice = first.choices[0]
    calls = choice.message.tool_calls or []
    out["plain"] = {
        "finish_reason": choice.finish_reason,
        "calls": [{"id": c.id, "type": c.type, "name": c.function.name,
                   "arguments": c.function.arguments} for c in calls],
        "reasoning": extra(choice.message, "reasoning_content", "reasoning"),
        "usage": first.usage.model_dump() if first.usage else None,
    }
    messages = USER + [choice.message.model_dump(exclude_none=True)]
    for c in calls:
        messages.append({"role": "tool", "tool_call_id": c.id, "content": RESULT})
    second = client.chat.completions.create(model=MODEL, messages=messages, tools=CHAT_TOOLS)
    out["answer"] = {"finish_reason": second.choices[0].finish_reason,
                     "content": second.choices[0].message.content}

    # 2. Streamed, read chunk by chunk.
    chunks = client.chat.completions.create(model=MODEL, messages=USER, tools=CHAT_TOOLS,
                                            stream=True, stream_options={"include_usage": True})
    reasoning, finish, fragments, usage = {}, [], {}, None
    for chunk in chunks:
        if chunk.usage:
            usage = chunk.usage.model_dump()
        for ch in chunk.choices:
            for k, v in extra(ch.delta, "reasoning_content", "reasoning").items():
                reasoning[k] = reasoning.get(k, "") + v
            if ch.finish_reason:
                finish.append(ch.finish_reason)
            for tc in ch.delta.tool_calls or []:
                slot = fragments.setdefault(str(tc.index), {"id": None, "name": None,
                                                            "arguments": "", "pieces": 0})
                if tc.id:
                    slot["id"] = tc.id
                if tc.function and tc.function.name:
                    slot["name"] = tc.function.name
                if tc.function and tc.function.arguments:
                    slot["arguments"] += tc.function.arguments
                    slot["pieces"] += 1
    out["stream"] = {"reasoning": reasoning, "finish": finish, "calls": fragments, "usage": usage}

    # 3. The SDK's own accumulator.
    with client.chat.completions.stream(model=MODEL, messages=USER, tools=CHAT_TOOLS) as stream:
        kinds = sorted({event.type for event in stream})
        final = stream.get_final_completion()
    fc = final.choices[0]
    out["accumulated"] = {
        "event_types": kinds,
        "finish_reason": fc.finish_reason,
        "calls": [{"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
                  for c in fc.message.tool_calls or []],
    }
    # 4. The accumulator on the answer turn: plain content.
    with client.chat.completions.stream(model=MODEL, messages=messages, tools=CHAT_TOOLS) as stream:
        text = "".join(e.delta for e in stream if e.type == "content.delta")
        final = stream.get_final_completion()
    out["accumulated_answer"] = {"deltas": text, "content": final.choices[0].message.content}
    return out


def responses():
    out = {}
    # 1. Not streamed: a function_call item, then a second turn with its output.
    first = client.responses.create(model=MODEL, input="What is the weather in Paris?",
                                    tools=RESP_TOOLS, store=False)
    items = [i.model_dump(exclude_none=True) for i in first.output]
    calls = [i for i in first.output if i.type == "function_call"]
    out["plain"] = {"status": first.status, "item_types": [i["type"] for i in items],
                    "calls": [{"call_id": c.call_id, "name": c.name, "arguments": c.arguments}
                              for c in calls],
                    "usage": first.usage.model_dump() if first.usage else None}
    follow = [{"role": "user", "content": "What is the weather in Paris?"}]
    follow += [i for i in items]
    follow += [{"type": "function_call_output", "call_id": c.call_id, "output": RESULT}
               for c in calls]
    second = client.responses.create(model=MODEL, input=follow, tools=RESP_TOOLS, store=False)
    out["answer"] = {"status": second.status, "output_text": second.output_text}

    # 2. Streamed events.
    events = client.responses.create(model=MODEL, input="What is the weather in Paris?",
                                     tools=RESP_TOOLS, stream=True, store=False)
    types, args, reasoning, done_items = [], "", "", []
    seqs = []
    for e in events:
        types.append(e.type)
        seqs.append(getattr(e, "sequence_number", None))
        if e.type == "response.function_call_arguments.delta":
            args += e.delta
        elif e.type == "response.reasoning_text.delta":
            reasoning += e.delta
        elif e.type == "response.output_item.done":
            done_items.append(e.item.model_dump(exclude_none=True))
    out["stream"] = {"types": types, "arguments": args, "reasoning": reasoning,
                     "done_items": done_items, "sequence_numbers": seqs}

    # 3. The SDK's accumulator, on the answer turn.
    with client.responses.stream(model=MODEL, input=follow, tools=RESP_TOOLS,
                                 store=False) as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    out["accumulated"] = {"deltas": text, "output_text": final.output_text,
                          "status": final.status}
    # 4. ... and on the call turn.
    with client.responses.stream(model=MODEL, input="What is the weather in Paris?",
                                 tools=RESP_TOOLS, store=False) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    out["accumulated_call"] = [{"call_id": i.call_id, "name": i.name, "arguments": i.arguments}
                               for i in final.output if i.type == "function_call"]

    # 5. Stateless chain of thought: the reasoning travels only in encrypted_content.
    enc = client.responses.create(model=MODEL, input="What is the weather in Paris?",
                                  tools=RESP_TOOLS, store=False,
                                  include=["reasoning.encrypted_content"])
    items = []
    for item in enc.output:
        d = item.model_dump(exclude_none=True)
        if d["type"] == "reasoning":
            d.pop("content", None)
            d["summary"] = []
        items.append(d)
    out["encrypted"] = {"has_blob": any(i.get("encrypted_content") for i in items)}
    turn = [{"role": "user", "content": "What is the weather in Paris?"}] + items
    turn += [{"type": "function_call_output", "call_id": i["call_id"], "output": RESULT}
             for i in items if i["type"] == "function_call"]
    again = client.responses.create(model=MODEL, input=turn, tools=RESP_TOOLS, store=False)
    out["encrypted"]["output_text"] = again.output_text
    return out


try:
    result = chat() if MODE == "chat" else responses()
except openai.APIError as e:
    result = {"sdk_error": f"{type(e).__name__}: {e}"}
print(json.dumps(result))

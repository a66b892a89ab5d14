#!/usr/bin/env python3
"""Writes the committed seed inputs under fuzz/seeds/<target>/ from the conformance corpus
(tests/corpus/cases.jsonl completions, tests/corpus/ollama_cases.json chunks) and the
bundled Ollama recordings (crates/harmony-ollama/recordings/*.ndjson).

Input layouts are the targets' (see fuzz/README.md). Token seeds need o200k_base ranks:
the script reads the o200k_base.tiktoken that harmony-testkit recreates under the temp
dir (any test run that loads the reference writes it) and tokenizes by greedy longest
match, formatting tokens by their ids. Not BPE-exact, which does not matter for seeds.
Run from anywhere: python3 fuzz/make_seeds.py
"""
import base64
import hashlib
import json
import os
import struct
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")
MARKERS = {
    "<|start|>": 200006,
    "<|end|>": 200007,
    "<|message|>": 200008,
    "<|channel|>": 200005,
    "<|constrain|>": 200003,
    "<|return|>": 200002,
    "<|call|>": 200012,
}


def write(target, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def split_spec(lens, payload):
    lens = [min(255, max(0, n)) for n in lens][:15]
    return bytes([len(lens)] + lens) + payload


def load_ranks():
    path = os.path.join(tempfile.gettempdir(), "harmony-kit-o200k", "o200k_base.tiktoken")
    if not os.path.exists(path):
        return None
    ranks = {}
    with open(path, "rb") as f:
        for line in f:
            tok, rank = line.split()
            ranks[base64.b64decode(tok)] = int(rank)
    return ranks


def tokenize(text, ranks):
    ids = []
    b = text.encode("utf-8")
    i = 0
    while i < len(b):
        for m, mid in MARKERS.items():
            if b.startswith(m.encode(), i):
                ids.append(mid)
                i += len(m)
                break
        else:
            for n in range(min(24, len(b) - i), 0, -1):
                r = ranks.get(b[i : i + n])
                if r is not None:
                    ids.append(r)
                    i += n
                    break
    return ids


def go_escape(s):
    return json.dumps(s, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def main():
    cases = [json.loads(l) for l in open(os.path.join(ROOT, "tests/corpus/cases.jsonl"))]
    ollama = json.load(open(os.path.join(ROOT, "tests/corpus/ollama_cases.json")))["cases"]
    ranks = load_ranks()

    completions = []  # (text, implicit start)
    for c in cases:
        completions.append((c["completion"], c["prompt_prefix"] != ""))
    chunked = []  # (chunks, implicit start)
    for c in ollama:
        if "chunks" in c:
            chunked.append((c["chunks"], c.get("implicit_start", True)))
        elif "header" in c:
            completions.append(("<|start|>" + c["header"] + "<|message|>x<|end|>", False))

    for text, implicit in completions:
        flags = 0 if implicit else 1
        b = text.encode()
        write("text", bytes([flags]) + split_spec([], b))
        write("text", bytes([flags | 6]) + split_spec([7, 1, 13, 0, 3], b))
    for chunks, implicit in chunked:
        b = [c.encode() for c in chunks]
        write("text", bytes([0 if implicit else 1]) + split_spec([len(c) for c in b], b"".join(b)))

    if ranks is not None:
        for text, implicit in completions:
            ids = tokenize(text, ranks)
            write("tokens", bytes([0 if implicit else 1, 3]) + b"".join(struct.pack("<I", i) for i in ids))

    rec_dir = os.path.join(ROOT, "crates/harmony-ollama/recordings")
    for name in sorted(os.listdir(rec_dir)):
        if name.endswith(".ndjson"):
            data = open(os.path.join(rec_dir, name), "rb").read()
            write("ndjson", bytes([6]) + split_spec([200, 13, 1, 77], data))
            write("ndjson", bytes([3 | 8]) + split_spec([], data))
    for chunks, _ in chunked:
        lines = "".join(
            '{"model":"gpt-oss:20b","response":%s,"done":false}\n' % go_escape(c) for c in chunks
        ) + '{"model":"gpt-oss:20b","response":"","done":true,"done_reason":"stop"}\n'
        write("ndjson", bytes([6]) + split_spec([], lines.encode()))
        chat = "".join(
            '{"message":{"role":"assistant","content":%s,"thinking":""},"done":false}\r\n' % go_escape(c)
            for c in chunks
        )
        write("ndjson", bytes([4]) + split_spec([10, 3], chat.encode()))

    args = set()
    for c in cases:
        for t in c["expected"]["tool_calls"]:
            args.add(t["raw_arguments"])
    args |= {'{"city":"Paris"}', "{}", '{"a":1e400}', "[1, 2]", '"s"', "null", "  ", '{"a":',
             "print(1)", '{"x": "<|end|>"}', '{"a": "\\u003c"}', "\n{\"deep\":" + "[" * 130 + "]" * 130 + "}"}
    for a in sorted(args):
        for flags in (0, 1, 0x08 | 2, 0x10 | 5, 0x20 | 0x40 | 7, 0x80 | 7):
            write("tool_args", bytes([flags]) + split_spec([5, 2], a.encode()))


if __name__ == "__main__":
    main()

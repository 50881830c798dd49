#!/usr/bin/env python3
"""Regenerates the embedded price book: src/pricing/snapshot.json and src/pricing/NOTICE.md.

Inputs (default: ../shared/data/pricing next to the repository):
  genai-prices-data.json     pydantic/genai-prices `prices/data.json` (MIT), USD per 1M tokens
  genai-prices-LICENSE       its licence text, copied into NOTICE.md
  litellm-model_prices.json  BerriAI/litellm `model_prices_and_context_window.json` (MIT),
                             USD per single token

Numbers are read with parse_float=Decimal, so every price keeps the exact text it was
published with, and are written as decimal strings in USD per 1M tokens (the Rust side parses
them into integer nano-dollars; no float ever holds a price). LiteLLM's per-token prices are
multiplied by 10^6 exactly, e.g. 3.75e-06 -> "3.75".

Snapshot format (format 1), one record per line so upstream updates diff cleanly:
  {"format":1,
   "sources":[{name, file, sha256, bytes}],
   "genai_providers":[{id, provider_match?, model_match?, fallback?}],   data order
   "genai_models":[{provider, id, match, prices:[entry...]}],           data order (first match wins)
   "litellm":[{key, provider, price:entry}]}                            sorted by key
An entry is {from?:"YYYY-MM-DD", input?, output?, cache_read?, cache_write?, cache_write_1h?}
where each price is "3" or {"base":"3","tiers":[{"start":200000,"price":"6"}]}.
`match` is genai's clause tree verbatim: equals / starts_with / ends_with / contains / regex /
or / and.

What is dropped on purpose: names, descriptions, context windows, extractors; audio and
per-request prices; conditional prices that are not start-date constraints (DeepSeek's
time-of-day discount, service tiers) while the unconditional ones are kept; LiteLLM entries
that are not text generation (mode other than chat / completion / responses) or lack a
numeric input and output price.

Usage: python3 scripts/gen_prices.py [--data DIR]
"""

import argparse
import datetime
import decimal
import hashlib
import json
import re
import sys
from pathlib import Path

D = decimal.Decimal
ROOT = Path(__file__).resolve().parent.parent
OUT_JSON = ROOT / "src" / "pricing" / "snapshot.json"
OUT_NOTICE = ROOT / "src" / "pricing" / "NOTICE.md"

GENAI_FILE = "genai-prices-data.json"
GENAI_LICENSE = "genai-prices-LICENSE"
LITELLM_FILE = "litellm-model_prices.json"

CLAUSE_KINDS = {"equals", "starts_with", "ends_with", "contains", "regex", "or", "and"}

# genai field -> snapshot field. Everything else in a genai price is ignored (listed so an
# unknown new field is reported instead of silently dropped).
GENAI_FIELDS = {
    "input_mtok": "input",
    "output_mtok": "output",
    "cache_read_mtok": "cache_read",
    "cache_write_mtok": "cache_write",
}
GENAI_IGNORED = {"input_audio_mtok", "output_audio_mtok", "cache_audio_read_mtok", "requests_kcount"}

# LiteLLM per-token key -> snapshot field; `<key>_above_<N>k_tokens` adds a tier at N*1000.
LITELLM_FIELDS = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache_read",
    "cache_creation_input_token_cost": "cache_write",
    # Despite the name, this is the 1-hour cache write price (docs/FORMATS.md §6.1).
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h",
}
LITELLM_TIER = re.compile(r"^(?P<base>.+)_above_(?P<k>\d+)k_tokens$")
LITELLM_MODES = {"chat", "completion", "responses"}

warnings = []


def warn(msg):
    warnings.append(msg)
    print("warning: " + msg, file=sys.stderr)


def reject_constant(name):
    raise ValueError(f"non-finite number {name} in pricing data")


def load(path):
    text = path.read_bytes()
    data = json.loads(text, parse_float=D, parse_constant=reject_constant)
    mtime = datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.timezone.utc)
    meta = {
        "file": path.name,
        "sha256": hashlib.sha256(text).hexdigest(),
        "bytes": len(text),
        "modified": mtime.date().isoformat(),
    }
    return data, meta


def is_number(v):
    return isinstance(v, (int, D)) and not isinstance(v, bool)


def dec_str(v):
    """Exact plain decimal text of a number: no exponent, no trailing zeros."""
    if not is_number(v):
        raise ValueError(f"not a number: {v!r}")
    d = D(v)
    if not d.is_finite() or d < 0:
        raise ValueError(f"bad price: {v!r}")
    if d == 0:
        return "0"
    s = format(d.normalize(), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def per_token_to_mtok(v):
    """USD per token -> USD per 1M tokens, exactly (an inexact result raises)."""
    ctx = decimal.Context(prec=60, traps=[decimal.Inexact, decimal.InvalidOperation])
    return ctx.multiply(D(v), D(1_000_000))


def check_clause(clause, where):
    if not isinstance(clause, dict) or len(clause) != 1:
        raise ValueError(f"{where}: a match clause must be an object with one key: {clause!r}")
    (kind, value), = clause.items()
    if kind not in CLAUSE_KINDS:
        raise ValueError(f"{where}: unknown match clause {kind!r}")
    if kind in ("or", "and"):
        if not isinstance(value, list) or not value:
            raise ValueError(f"{where}: {kind} needs a non-empty list")
        for c in value:
            check_clause(c, where)
    elif not isinstance(value, str):
        raise ValueError(f"{where}: {kind} needs a string")
    elif kind == "regex":
        re.compile(value)  # the Rust side checks its supported subset in a unit test
    return clause


def genai_price(v, where):
    if isinstance(v, dict):
        if set(v) != {"base", "tiers"}:
            raise ValueError(f"{where}: unexpected tiered price keys {sorted(v)}")
        tiers = [{"start": int(t["start"]), "price": dec_str(t["price"])} for t in v["tiers"]]
        tiers.sort(key=lambda t: t["start"])
        return {"base": dec_str(v["base"]), "tiers": tiers}
    return dec_str(v)


def genai_entry(prices, start_date, where):
    entry = {}
    if start_date is not None:
        datetime.date.fromisoformat(start_date)
        entry["from"] = start_date
    for key, value in prices.items():
        if key in GENAI_FIELDS:
            entry[GENAI_FIELDS[key]] = genai_price(value, f"{where}.{key}")
        elif key not in GENAI_IGNORED:
            warn(f"{where}: ignoring unknown price field {key!r}")
    return entry


def convert_genai(data):
    providers, models = [], []
    skipped_conditions = 0
    for p in data:
        rec = {"id": p["id"]}
        if p.get("provider_match") is not None:
            rec["provider_match"] = check_clause(p["provider_match"], p["id"])
        if p.get("model_match") is not None:
            rec["model_match"] = check_clause(p["model_match"], p["id"])
        if p.get("fallback_model_providers"):
            rec["fallback"] = list(p["fallback_model_providers"])
        providers.append(rec)
        for m in p["models"]:
            where = f"genai {p['id']}/{m['id']}"
            prices = m["prices"]
            entries = []
            if isinstance(prices, dict):
                entries.append(genai_entry(prices, None, where))
            else:
                for cp in prices:
                    constraint = cp.get("constraint")
                    if constraint is None:
                        entries.append(genai_entry(cp["prices"], None, where))
                    elif set(constraint) == {"start_date"}:
                        entries.append(genai_entry(cp["prices"], constraint["start_date"], where))
                    else:
                        skipped_conditions += 1
            models.append({
                "provider": p["id"],
                "id": m["id"],
                "match": check_clause(m["match"], where),
                "prices": entries,
            })
    ids = {p["id"] for p in providers}
    for p in providers:
        for f in p.get("fallback", []):
            if f not in ids:
                raise ValueError(f"genai provider {p['id']}: unknown fallback provider {f!r}")
    return providers, models, skipped_conditions


def convert_litellm(data):
    out = []
    dropped = 0
    seen = {}
    for key, v in data.items():
        if key == "sample_spec" or not isinstance(v, dict):
            continue
        if v.get("mode") not in LITELLM_MODES or not (
            is_number(v.get("input_cost_per_token")) and is_number(v.get("output_cost_per_token"))
        ):
            dropped += 1
            continue
        fields = {}
        tiers = {}
        for k, value in v.items():
            if not is_number(value):
                continue
            if k in LITELLM_FIELDS:
                fields[LITELLM_FIELDS[k]] = per_token_to_mtok(value)
                continue
            t = LITELLM_TIER.match(k)
            if t and t["base"] in LITELLM_FIELDS:
                tiers.setdefault(LITELLM_FIELDS[t["base"]], []).append(
                    {"start": int(t["k"]) * 1000, "price": dec_str(per_token_to_mtok(value))}
                )
        # DeepSeek entries name their cache-read price this way.
        if "cache_read" not in fields and is_number(v.get("input_cost_per_token_cache_hit")):
            fields["cache_read"] = per_token_to_mtok(v["input_cost_per_token_cache_hit"])
        entry = {}
        for name in ("input", "output", "cache_read", "cache_write", "cache_write_1h"):
            if name not in fields:
                if name in tiers:
                    warn(f"litellm {key}: tier price for {name} without a base price; ignored")
                continue
            if name in tiers:
                entry[name] = {"base": dec_str(fields[name]), "tiers": sorted(tiers[name], key=lambda t: t["start"])}
            else:
                entry[name] = dec_str(fields[name])
        low = key.lower()
        if low in seen:
            warn(f"litellm: {key!r} and {seen[low]!r} differ only in case; the first in key order wins")
        seen.setdefault(low, key)
        out.append({"key": key, "provider": str(v.get("litellm_provider", "")), "price": entry})
    out.sort(key=lambda r: r["key"])
    return out, dropped


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)


def write_snapshot(sources, providers, models, litellm):
    lines = ['{"format":1,', '"sources":[']
    lines += [dumps(s) + ("," if i < len(sources) - 1 else "") for i, s in enumerate(sources)]
    lines.append("],")
    for name, rows in (("genai_providers", providers), ("genai_models", models), ("litellm", litellm)):
        lines.append(f'"{name}":[')
        lines += [dumps(r) + ("," if i < len(rows) - 1 else "") for i, r in enumerate(rows)]
        lines.append("]," if name != "litellm" else "]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # still valid JSON
    OUT_JSON.write_text(text, encoding="ascii")
    return len(text.encode("ascii"))


def write_notice(sources, genai_license, stats):
    genai, litellm = sources
    text = f"""# Third-party pricing data

`snapshot.json` in this folder is generated by `scripts/gen_prices.py` from two MIT-licensed
datasets. Prices were converted to decimal strings in USD per million tokens; names,
descriptions and non-text prices were dropped. Do not edit it by hand: re-run the script.

| Dataset | File | SHA-256 | Bytes | File date |
|---|---|---|---|---|
| pydantic/genai-prices `prices/data.json` | `{genai['file']}` | `{genai['sha256']}` | {genai['bytes']} | {genai['modified']} |
| BerriAI/litellm `model_prices_and_context_window.json` | `{litellm['file']}` | `{litellm['sha256']}` | {litellm['bytes']} | {litellm['modified']} |

The file dates are the modification dates of the copies the snapshot was built from
(`../shared/data/pricing/`), not upstream release dates. Upstream revisions are identified by
the SHA-256 of the files.

Kept: {stats['genai_models']} genai-prices models from {stats['genai_providers']} providers
({stats['skipped_conditions']} non-date conditional prices skipped) and {stats['litellm']} LiteLLM
text-generation entries ({stats['litellm_dropped']} other entries dropped).

## pydantic/genai-prices

https://github.com/pydantic/genai-prices

```
{genai_license.strip()}
```

## BerriAI/litellm

https://github.com/BerriAI/litellm

```
MIT License

Copyright (c) 2023 Berri AI

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
```
"""
    OUT_NOTICE.write_text(text, encoding="utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "pricing",
                    help="folder holding the three input files")
    args = ap.parse_args()

    genai_data, genai_meta = load(args.data / GENAI_FILE)
    litellm_data, litellm_meta = load(args.data / LITELLM_FILE)
    genai_license = (args.data / GENAI_LICENSE).read_text(encoding="utf-8")

    providers, models, skipped = convert_genai(genai_data)
    litellm, dropped = convert_litellm(litellm_data)
    sources = [dict(name="genai-prices", **genai_meta), dict(name="litellm", **litellm_meta)]
    # The copy date goes to NOTICE.md only: re-copying identical files must not change the
    # snapshot, whose hash tells the ledger to re-price.
    size = write_snapshot([{k: v for k, v in s.items() if k != "modified"} for s in sources],
                          providers, models, litellm)
    write_notice(sources, genai_license, {
        "genai_models": len(models),
        "genai_providers": len(providers),
        "skipped_conditions": skipped,
        "litellm": len(litellm),
        "litellm_dropped": dropped,
    })
    print(f"{OUT_JSON.relative_to(ROOT)}: {size} bytes; {len(models)} genai models, "
          f"{len(litellm)} litellm entries; {skipped} non-date conditions skipped; "
          f"{dropped} litellm entries dropped; {len(warnings)} warnings", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# The PyTorch baseline of `trajectorylab bench gpu` (issue 9): Hugging Face transformers' LlamaForCausalLM with random
# weights from the same config as experiments/bench-gpu.json (same keys, same prompt length, same new tokens), in the
# file's dtype, with attn_implementation "eager" (the baseline) and "sdpa", model.eval() under
# torch.inference_mode(). Measures, best of N after a warm-up, every timed region bracketed by torch.cuda.synchronize():
#   decode: greedy, a manual loop of one forward per token through a DynamicCache (past_key_values), argmax on the
#           device (the same work as our internal decode loop), batch 1 and 64; the prompt's prefill is not timed;
#   generate: model.generate() greedy with the same numbers, prefill included (for reference);
#   prefill: prefillTokens tokens into a fresh cache, logits at the last position only where transformers allows it.
# Writes a JSON file (schema 1, read by src/TrajectoryLab.Torch/Bench/PyTorchBaseline.cs) with the figures and versions.
# Run:  python3 scripts/gpu/hf_eager_bench.py --config experiments/bench-gpu.json --out $OUT/hf.json
# Check without torch:  python3 scripts/gpu/hf_eager_bench.py --self-test
# References: transformers LlamaConfig / LlamaForCausalLM / DynamicCache; PyTorch "CUDA semantics" on asynchronous timing.
import argparse
import inspect
import json
import os
import platform
import sys
import tempfile
import time

# Our experiment file's keys, their defaults (those of GpuBenchOptions) and types.
CONFIG_KEYS = {
    "dim": (2048, int), "layers": (16, int), "heads": (32, int), "kvHeads": (8, int), "hidden": (8192, int),
    "vocab": (32000, int), "context": (2048, int), "tied": (False, bool), "device": ("cuda", str), "dType": ("bfloat16", str),
    "batches": ([1, 64], list), "promptTokens": (128, int), "newTokens": (256, int), "prefillTokens": (2048, int),
    "repeats": (3, int), "seed": (42, int),
}
DTYPES = ("float32", "bfloat16", "float16")


def read_config(path):
    """The benchmark keys of an experiment JSON file, defaults filled in; a wrong type or value names the file and key."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise SystemExit(f"{path}: cannot read the config ({e})")
    if not isinstance(raw, dict):
        raise SystemExit(f"{path}: the config must be a JSON object")
    config = {}
    for key, (default, kind) in CONFIG_KEYS.items():
        value = raw.get(key, default)
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is list:
            ok = ok and len(value) > 0 and all(isinstance(b, int) and not isinstance(b, bool) and b >= 1 for b in value)
        if not ok:
            raise SystemExit(f"{path}: key '{key}' must be {'a nonempty list of batch sizes >= 1' if kind is list else kind.__name__}, got {value!r}")
        if kind is int and value < (0 if key == "seed" else 1):
            raise SystemExit(f"{path}: key '{key}' must be at least {0 if key == 'seed' else 1}, got {value}")
        config[key] = value
    if config["dType"] not in DTYPES:
        raise SystemExit(f"{path}: key 'dType' must be one of {', '.join(DTYPES)}, got {config['dType']!r}")
    if config["dim"] % config["heads"] or config["heads"] % config["kvHeads"]:
        raise SystemExit(f"{path}: keys 'dim', 'heads', 'kvHeads': dim must be a multiple of heads and heads of kvHeads")
    if config["promptTokens"] + config["newTokens"] > config["context"] or config["prefillTokens"] > config["context"]:
        raise SystemExit(f"{path}: keys 'promptTokens', 'newTokens', 'prefillTokens' exceed 'context'")
    return config


def best_of(run, repeats):
    """Runs `run` (returning seconds) once as a warm-up, then `repeats` times; the smallest finite time."""
    run()
    times = [t for t in (run() for _ in range(repeats)) if t == t and t != float("inf")]
    return min(times) if times else float("inf")


def timed(work, sync):
    """Seconds of one call of `work`, with `sync` (torch.cuda.synchronize, or a no-op on CPU) before and after."""
    sync()
    start = time.perf_counter()
    work()
    sync()
    return time.perf_counter() - start


def write_json(path, document):
    """Writes `document` as JSON atomically (a temporary file in the same folder, then a rename)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def document(config, versions, device, figures):
    """The baseline file (schema 1): numeric config keys (tied as 0/1), versions, figures by attention implementation."""
    numeric = {k: (int(v) if isinstance(v, bool) else v) for k, v in config.items() if isinstance(v, (int, bool))}
    return {"schema": 1, "versions": versions, "device": device, "dtype": config["dType"], "config": numeric,
            "batches": config["batches"], "figures": figures}


def self_test():
    """Checks the pure parts without torch: config reading and its errors, best-of timing, the JSON document."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "c.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"kind": "bench-gpu", "dim": 64, "heads": 4, "kvHeads": 2, "context": 64, "promptTokens": 4, "newTokens": 8,
                       "prefillTokens": 16, "batches": [1, 2], "tied": True}, f)
        c = read_config(path)
        assert c["dim"] == 64 and c["layers"] == 16 and c["batches"] == [1, 2] and c["tied"] is True, c
        for bad, key in (({"dim": "x"}, "'dim'"), ({"batches": [0]}, "'batches'"), ({"dType": "int8"}, "'dType'"), ({"tied": 1}, "'tied'"),
                         ({"dim": 2050}, "'dim'"), ({"newTokens": 5000}, "'newTokens'")):
            with open(path, "w", encoding="utf-8") as f:
                json.dump(bad, f)
            try:
                read_config(path)
                raise AssertionError(f"{bad} was accepted")
            except SystemExit as e:
                assert key in str(e) and path in str(e), str(e)
        times = iter([9.0, 0.5, float("nan"), 0.25, 0.75])
        assert best_of(lambda: next(times), 4) == 0.25
        calls = []
        t = timed(lambda: calls.append("work"), lambda: calls.append("sync"))
        assert calls == ["sync", "work", "sync"] and t >= 0, calls
        out = os.path.join(d, "sub", "hf.json")
        figures = {"eager": {"decode_tokens_per_second": {"1": 10.0}, "generate_tokens_per_second": {"1": 9.0}, "prefill_tokens_per_second": 100.0}}
        write_json(out, document(c, {"torch": "x"}, "cpu", figures))
        back = json.load(open(out, encoding="utf-8"))
        assert back["schema"] == 1 and back["config"]["tied"] == 1 and back["config"]["dim"] == 64 and "dType" not in back["config"], back
        assert back["figures"]["eager"]["decode_tokens_per_second"]["1"] == 10.0
        assert not [n for n in os.listdir(os.path.dirname(out)) if n.endswith(".tmp")]
    print("self-test passed")


def measure(config, device, repeats, implementations):
    """Builds the model once per attention implementation and measures decode, generate and prefill."""
    import torch
    import transformers
    from transformers import DynamicCache, LlamaConfig, LlamaForCausalLM

    dtype = getattr(torch, config["dType"])
    sync = (lambda: torch.cuda.synchronize(device)) if device.startswith("cuda") else (lambda: None)
    versions = {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
                "cuda": str(torch.version.cuda), "gpu": torch.cuda.get_device_name(device) if device.startswith("cuda") else platform.processor() or "cpu"}
    figures = {}
    for impl in implementations:
        torch.manual_seed(config["seed"])
        llama = LlamaConfig(vocab_size=config["vocab"], hidden_size=config["dim"], intermediate_size=config["hidden"],
                            num_hidden_layers=config["layers"], num_attention_heads=config["heads"], num_key_value_heads=config["kvHeads"],
                            max_position_embeddings=config["context"], rms_norm_eps=1e-5, rope_theta=10000.0,
                            tie_word_embeddings=config["tied"], attention_bias=False, initializer_range=0.02)
        with torch.device(device):
            try:
                model = LlamaForCausalLM._from_config(llama, attn_implementation=impl, torch_dtype=dtype)
            except TypeError:
                model = LlamaForCausalLM._from_config(llama, attn_implementation=impl, dtype=dtype)
        model = model.to(device=device, dtype=dtype).eval()
        keep = next((k for k in ("logits_to_keep", "num_logits_to_keep") if k in inspect.signature(model.forward).parameters), None)
        last_only = {keep: 1} if keep else {}
        model.generation_config.eos_token_id = None
        model.generation_config.pad_token_id = 0

        def prompt(batch, count):
            g = torch.Generator().manual_seed(config["seed"])
            return torch.randint(config["vocab"], (batch, count), generator=g).to(device)

        def decode(batch):
            with torch.inference_mode():
                ids = prompt(batch, config["promptTokens"])
                out = model(input_ids=ids, past_key_values=DynamicCache(), use_cache=True, **last_only)
                state = {"next": out.logits[:, -1].argmax(-1, keepdim=True), "cache": out.past_key_values}

                def steps():
                    for _ in range(config["newTokens"]):
                        o = model(input_ids=state["next"], past_key_values=state["cache"], use_cache=True)
                        state["next"], state["cache"] = o.logits[:, -1].argmax(-1, keepdim=True), o.past_key_values
                seconds = timed(steps, sync)
                state["next"].cpu()
                return seconds

        def generate(batch):
            with torch.inference_mode():
                ids = prompt(batch, config["promptTokens"])
                return timed(lambda: model.generate(ids, max_new_tokens=config["newTokens"], min_new_tokens=config["newTokens"],
                                                    do_sample=False, use_cache=True), sync)

        def prefill():
            with torch.inference_mode():
                ids = prompt(1, config["prefillTokens"])
                return timed(lambda: model(input_ids=ids, past_key_values=DynamicCache(), use_cache=True, **last_only).logits[0, -1].argmax().item(), sync)

        f = {"decode_tokens_per_second": {}, "decode_ms_per_step": {}, "generate_tokens_per_second": {}, "logits_to_keep": keep or "none"}
        for batch in config["batches"]:
            print(f"{impl}: decode batch {batch}", file=sys.stderr, flush=True)
            s = best_of(lambda: decode(batch), repeats)
            f["decode_tokens_per_second"][str(batch)] = batch * config["newTokens"] / s
            f["decode_ms_per_step"][str(batch)] = s / config["newTokens"] * 1e3
            print(f"{impl}: generate batch {batch}", file=sys.stderr, flush=True)
            f["generate_tokens_per_second"][str(batch)] = batch * config["newTokens"] / best_of(lambda: generate(batch), repeats)
        print(f"{impl}: prefill {config['prefillTokens']}", file=sys.stderr, flush=True)
        p = best_of(prefill, repeats)
        f["prefill_tokens_per_second"], f["prefill_ms"] = config["prefillTokens"] / p, p * 1e3
        figures[impl] = f
        print(f"{impl}: {json.dumps(f)}", file=sys.stderr, flush=True)
        del model
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
    return versions, figures


def main(argv=None):
    parser = argparse.ArgumentParser(description="PyTorch-eager baseline of `trajectorylab bench gpu` (Hugging Face LlamaForCausalLM, random weights).")
    parser.add_argument("--config", help="experiment JSON (experiments/bench-gpu.json): the same keys as the C# benchmark")
    parser.add_argument("--out", help="where to write the baseline JSON")
    parser.add_argument("--device", help="override the config's device (cuda, cuda:N, cpu)")
    parser.add_argument("--repeats", type=int, help="override the config's repeats")
    parser.add_argument("--attn", default="eager,sdpa", help="attention implementations, comma-separated (default eager,sdpa)")
    parser.add_argument("--self-test", action="store_true", help="check the pure parts (no torch needed) and exit")
    args = parser.parse_args(argv)
    if args.self_test:
        self_test()
        return 0
    if not args.config or not args.out:
        parser.error("--config and --out are required (or --self-test)")
    config = read_config(args.config)
    device = args.device or config["device"]
    repeats = args.repeats if args.repeats is not None else config["repeats"]
    if repeats < 1:
        parser.error("--repeats must be at least 1")
    start = time.perf_counter()
    versions, figures = measure(config, device, repeats, [a for a in args.attn.split(",") if a])
    doc = document(config, versions, device, figures)
    doc["config"]["repeats"] = repeats
    doc["wall_seconds"] = time.perf_counter() - start
    write_json(args.out, doc)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

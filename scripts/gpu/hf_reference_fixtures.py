#!/usr/bin/env python3
# Gold-reference fixtures from Hugging Face transformers: for every architecture TrajectoryLab loads, a random tiny model
# built by transformers itself (its own config class, its own save_pretrained), with weights spread wider than the
# 0.02 initialiser so every sublayer matters, and its outputs for fixed token ids computed by transformers in float64.
# Each fixture folder holds what save_pretrained wrote (config.json, model.safetensors) and reference.safetensors:
#   ids                 [T] (F64 holding integers): a random prompt of PROMPT ids and GREEDY greedy continuations
#                       (argmax of the float64 logits, recomputed on the whole sequence at every step, no cache)
#   logits              [T, V] float64 logits over the whole sequence
#   logits_f32          [T, V] the same from transformers' float32 model (the scale of float32 rounding)
#   module:<name>       [T, ...] the float64 output (first tensor of a tuple) of every named submodule of the model
#                       (embeddings, each block, attention, MLP, norms, projections), batch dimension dropped
# plus reference.json with the versions, the prompt length and the module names in call order.
# The C# tests (tests/TrajectoryLab.Torch.Tests/HfReference/) load each folder with the project's own loader and compare.
# Run (anywhere with torch and transformers; CPU is enough):
#   python3 scripts/gpu/hf_reference_fixtures.py --out DIR [--only llama,gpt2]
# References: transformers' model classes (LlamaForCausalLM, MistralForCausalLM, Qwen2/Qwen3, Gemma/Gemma2/Gemma3ForCausalLM,
# Phi3ForCausalLM, Olmo2ForCausalLM, GPT2LMHeadModel, GPTNeoXForCausalLM, MambaForCausalLM) and their configs.
import argparse
import json
import os
import sys
import traceback

PROMPT, GREEDY, VOCAB = 12, 8, 128
COMMON = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=64, pad_token_id=0, bos_token_id=1, eos_token_id=2)


def rope(theta, **scaling):
    """Rotary settings for the installed transformers: rope_parameters (5.x) or rope_theta / rope_scaling (4.x)."""
    import transformers
    if int(transformers.__version__.split(".")[0]) >= 5:
        return {"rope_parameters": {"rope_type": scaling.pop("rope_type", "default"), "rope_theta": theta, **scaling}}
    out = {"rope_theta": theta}
    if scaling:
        out["rope_scaling"] = scaling
    return out


def specs():
    """(fixture name, config class name, keyword arguments) of every architecture."""
    return [
        ("llama", "LlamaConfig", dict(COMMON, rms_norm_eps=1e-6, tie_word_embeddings=False, **rope(10000.0))),
        ("llama3-rope", "LlamaConfig", dict(COMMON, rms_norm_eps=1e-5, tie_word_embeddings=True,
                                           **rope(500000.0, rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                                  high_freq_factor=4.0, original_max_position_embeddings=16))),
        ("mistral", "MistralConfig", dict(COMMON, head_dim=8, sliding_window=6, tie_word_embeddings=False)),
        ("qwen2", "Qwen2Config", dict(COMMON, tie_word_embeddings=True)),
        ("qwen3", "Qwen3Config", dict(COMMON, head_dim=16, tie_word_embeddings=False)),
        ("gemma", "GemmaConfig", dict(COMMON, head_dim=16, hidden_act="gelu_pytorch_tanh",
                                      hidden_activation="gelu_pytorch_tanh")),
        ("gemma2", "Gemma2Config", dict(COMMON, num_hidden_layers=3, head_dim=12, query_pre_attn_scalar=20,
                                        attn_logit_softcapping=3.0, final_logit_softcapping=5.0, sliding_window=4)),
        ("gemma3_text", "Gemma3TextConfig", dict(COMMON, num_hidden_layers=3, head_dim=12, query_pre_attn_scalar=12,
                                                 sliding_window=4, sliding_window_pattern=2,
                                                 layer_types=["sliding_attention", "full_attention", "sliding_attention"])),
        ("phi3", "Phi3Config", dict(COMMON, tie_word_embeddings=False)),
        ("olmo2", "Olmo2Config", dict(COMMON, tie_word_embeddings=False)),
        ("gpt2", "GPT2Config", dict(vocab_size=VOCAB, n_positions=64, n_embd=32, n_layer=2, n_head=4,
                                    activation_function="gelu_new", bos_token_id=1, eos_token_id=2)),
        ("gpt_neox", "GPTNeoXConfig", dict(COMMON, rotary_pct=0.5, partial_rotary_factor=0.5, use_parallel_residual=True,
                                           tie_word_embeddings=False, hidden_act="gelu")),
        ("gpt_neox-sequential", "GPTNeoXConfig", dict(COMMON, rotary_pct=1.0, partial_rotary_factor=1.0,
                                                      use_parallel_residual=False, tie_word_embeddings=False)),
        ("mamba", "MambaConfig", dict(vocab_size=VOCAB, hidden_size=32, state_size=8, num_hidden_layers=2, expand=2,
                                      conv_kernel=4, use_bias=False, use_conv_bias=True, pad_token_id=0, bos_token_id=1,
                                      eos_token_id=2, tie_word_embeddings=True)),
    ]


def widen(model, seed):
    """Spreads the weights: +N(0, 0.25) on matrices, +N(0, 0.1) on vectors (norm scales, biases), so the logits are far
    from uniform and every sublayer changes them; the Mamba A_log keeps its sign structure (it is exponentiated)."""
    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            scale = 0.25 if p.dim() >= 2 else 0.1
            p.add_(torch.randn(p.shape, generator=g, dtype=torch.float64).to(p.dtype) * scale)


def first_tensor(output):
    import torch
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    return getattr(output, "last_hidden_state", None) if not isinstance(output, (tuple, list)) else None


def build(name, config_name, kwargs, out_root, seed):
    import torch
    import transformers
    from safetensors.torch import save_file
    config = getattr(transformers, config_name)(**kwargs)
    torch.manual_seed(seed)
    model = transformers.AutoModelForCausalLM.from_config(config)
    model = model.to(torch.float32).eval()
    widen(model, seed + 1)
    folder = os.path.join(out_root, name)
    model.save_pretrained(folder, safe_serialization=True)
    # Reload what was written, as any user would, so the reference is of the files on disk.
    loaded = transformers.AutoModelForCausalLM.from_pretrained(folder).eval()
    m64 = transformers.AutoModelForCausalLM.from_pretrained(folder).to(torch.float64).eval()
    g = torch.Generator().manual_seed(seed + 2)
    ids = torch.randint(3, VOCAB, (1, PROMPT), generator=g)
    with torch.no_grad():
        for _ in range(GREEDY):
            nxt = m64(input_ids=ids, use_cache=False).logits[0, -1].argmax()
            ids = torch.cat([ids, nxt.view(1, 1)], dim=1)
        captured, order = {}, []

        def hook(module_name):
            def run(_module, _inputs, output):
                t = first_tensor(output)
                if isinstance(t, torch.Tensor) and t.is_floating_point() and t.dim() >= 2 and t.shape[0] == 1:
                    if module_name not in captured:
                        order.append(module_name)
                    captured[module_name] = t[0].detach().to(torch.float64).clone()
            return run

        handles = [m.register_forward_hook(hook(n)) for n, m in m64.named_modules() if n]
        logits = m64(input_ids=ids, use_cache=False).logits[0]
        for h in handles:
            h.remove()
        logits32 = loaded(input_ids=ids, use_cache=False).logits[0].to(torch.float64)
    tensors = {"ids": ids[0].to(torch.float64), "logits": logits, "logits_f32": logits32}
    tensors.update({f"module:{n}": captured[n].contiguous() for n in order})
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(folder, "reference.safetensors"))
    meta = {"schema": 1, "name": name, "config_class": config_name, "model_class": type(m64).__name__,
            "transformers": transformers.__version__, "torch": torch.__version__, "prompt_tokens": PROMPT,
            "greedy_tokens": GREEDY, "seed": seed, "modules": order,
            "max_abs_logit": float(logits.abs().max()), "f32_vs_f64_max_abs": float((logits32 - logits).abs().max())}
    with open(os.path.join(folder, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return meta


def main(argv=None):
    parser = argparse.ArgumentParser(description="Hugging Face gold-reference fixtures for TrajectoryLab's loaders")
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", default="")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(min(4, os.cpu_count() or 1))
    wanted = {w for w in args.only.split(",") if w}
    failed = []
    for i, (name, config_name, kwargs) in enumerate(specs()):
        if wanted and name not in wanted:
            continue
        try:
            meta = build(name, config_name, kwargs, args.out, args.seed + 10 * i)
            print(f"{name}: {meta['model_class']}, {len(meta['modules'])} modules, max |logit| {meta['max_abs_logit']:.3f}, "
                  f"f32 vs f64 {meta['f32_vs_f64_max_abs']:.2e}", flush=True)
        except Exception:
            failed.append(name)
            print(f"{name}: FAILED", file=sys.stderr, flush=True)
            traceback.print_exc()
    print(f"fixtures: {'all written' if not failed else 'failed: ' + ', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

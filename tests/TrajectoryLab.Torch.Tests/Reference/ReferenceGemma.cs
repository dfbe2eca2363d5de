// An independent, deliberately plain Gemma 1/2/3 forward pass in double precision (no TorchSharp, no production code),
// written from the published equations (Gemma Team 2024, arXiv:2403.08295; Gemma 2, arXiv:2408.00118; Gemma 3,
// arXiv:2503.19786) over a saved Hugging Face folder: config.json read here with transformers' defaults
// (configuration_gemma/gemma2/gemma3.py) and the tensors by their Hugging Face names in transformers' layout (nn.Linear
// weights [out, in]; q/k/v/o_proj, gate/up/down_proj separate). Embedding × √d_model; RMSNorm x/rms(x)·(1 + w); rotary
// half-split with the layer's own base (Gemma 3's sliding layers) and linear scaling; scores q·k·scale, soft-capped
// c·tanh(s/c), causal and, in a sliding layer of window W, keys j with i − j < W only; GeGLU with the tanh GELU; sandwich
// norms for Gemma 2 and 3; per-head q/k norms for Gemma 3; a final soft-cap. The oracle GemmaFamily is checked against.
using System.Text.Json;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Reference;

/// <summary>Reference forward of one sequence of a Gemma-family model.</summary>
internal sealed class ReferenceGemma
{
    private readonly IReadOnlyDictionary<string, double[]> _hf;
    private readonly string _type;
    private readonly int _d, _layers, _heads, _kvHeads, _hd;
    private readonly double _eps, _scale;
    private readonly bool _tied, _sandwich, _qkNorm;
    private readonly double? _attnCap, _finalCap;
    private readonly (double Theta, double Factor) _globalRope, _localRope;
    private readonly int?[] _windows;

    /// <param name="configPath">The folder's config.json.</param>
    /// <param name="hf">Every tensor of its model.safetensors as doubles by Hugging Face name, row-major.</param>
    public ReferenceGemma(string configPath, IReadOnlyDictionary<string, double[]> hf)
    {
        _hf = hf;
        using var document = JsonDocument.Parse(File.ReadAllText(configPath));
        var c = document.RootElement;
        _type = c.GetProperty("model_type").GetString()!;
        var gemma2 = _type == "gemma2";
        var gemma3 = _type == "gemma3_text";
        _d = c.GetProperty("hidden_size").GetInt32();
        _layers = c.GetProperty("num_hidden_layers").GetInt32();
        _heads = c.GetProperty("num_attention_heads").GetInt32();
        _kvHeads = Number(c, "num_key_value_heads") is { } kv ? (int)kv : _type == "gemma" ? 16 : 4;
        _hd = (int)(Number(c, "head_dim") ?? 256);
        _eps = Number(c, "rms_norm_eps") ?? 1e-6;
        _tied = Flag(c, "tie_word_embeddings") ?? true;
        _sandwich = _type != "gemma";
        _qkNorm = gemma3;
        _scale = _type == "gemma" ? 1 / Math.Sqrt(_hd) : 1 / Math.Sqrt(Number(c, "query_pre_attn_scalar") ?? 256);
        _attnCap = Cap(c, "attn_logit_softcapping", gemma2 ? 50 : null);
        _finalCap = Cap(c, "final_logit_softcapping", gemma2 ? 30 : null);

        // Rotary: gemma and gemma2 have one base; gemma3_text has the full layers' (with the scaling) and the sliding ones'.
        var parameters = c.TryGetProperty("rope_parameters", out var p) && p.ValueKind == JsonValueKind.Object ? p : (JsonElement?)null;
        var scaling = c.TryGetProperty("rope_scaling", out var s) && s.ValueKind == JsonValueKind.Object ? s : (JsonElement?)null;
        if (gemma3)
        {
            JsonElement? full = parameters is { } fp && fp.TryGetProperty("full_attention", out var f) ? f : null;
            JsonElement? local = parameters is { } lp && lp.TryGetProperty("sliding_attention", out var l) ? l : null;
            _globalRope = ((full is { } fe ? Number(fe, "rope_theta") : null) ?? Number(c, "rope_theta") ?? 1e6, Factor(scaling ?? full));
            _localRope = ((local is { } le ? Number(le, "rope_theta") : null) ?? Number(c, "rope_local_base_freq") ?? 1e4, 1);
        }
        else
        {
            _globalRope = ((parameters is { } pe ? Number(pe, "rope_theta") : null) ?? Number(c, "rope_theta") ?? 1e4,
                Factor(parameters ?? scaling));
            _localRope = _globalRope;
        }

        // Which layers slide: layer_types, else Gemma 2's even layers, else Gemma 3's all but every pattern-th.
        _windows = new int?[_layers];
        if (_sandwich)
        {
            int? window = c.TryGetProperty("sliding_window", out var w) ? (w.ValueKind == JsonValueKind.Null ? null : w.GetInt32()) : 4096;
            var pattern = gemma3 ? (int)(Number(c, "sliding_window_pattern") ?? 6) : 2;
            var types = c.TryGetProperty("layer_types", out var t)
                ? t.EnumerateArray().Select(e => e.GetString()!).ToArray()
                : Enumerable.Range(0, _layers).Select(i => (i + 1) % pattern == 0 ? "full_attention" : "sliding_attention").ToArray();
            for (var i = 0; i < _layers; i++) _windows[i] = types[i] == "sliding_attention" ? window : null;
        }
    }

    private static double? Number(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static bool? Flag(JsonElement e, string key) =>
        e.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    /// <summary>A soft-cap: the default when the key is absent, none when it is null.</summary>
    private static double? Cap(JsonElement e, string key, double? fallback) =>
        !e.TryGetProperty(key, out var v) ? fallback : v.ValueKind == JsonValueKind.Null ? null : v.GetDouble();

    /// <summary>The linear scaling factor of a rope_scaling / rope_parameters object (1 for default rotary).</summary>
    private static double Factor(JsonElement? scaling)
    {
        if (scaling is not { } s) return 1;
        var type = s.TryGetProperty("rope_type", out var t) ? t.GetString()
            : s.TryGetProperty("type", out var u) ? u.GetString()
            : "default";
        return type == "linear" ? s.GetProperty("factor").GetDouble() : type == "default" ? 1 : throw new NotSupportedException(type);
    }

    /// <summary>Logits [pos][vocab] for <paramref name="tokens"/> from position 0; activations by hook name into
    /// <paramref name="hooks"/> when given (row-major flattening of [pos, ...], [heads, pos, d_head] or [heads, pos, pos]).</summary>
    public double[][] Forward(int[] tokens, Dictionary<string, double[]>? hooks = null)
    {
        var embedding = _hf["model.embed_tokens.weight"]; // [vocab, d_model]
        var x = tokens.Select(t => embedding.AsSpan(t * _d, _d).ToArray().Select(e => e * Math.Sqrt(_d)).ToArray()).ToArray();
        Record(hooks, HookNames.Embed, x);
        for (var l = 0; l < _layers; l++)
        {
            string H(string leaf) => $"model.layers.{l}.{leaf}";
            Record(hooks, HookNames.ResidPre(l), x);
            Record(hooks, HookNames.Ln1Normalized(l), x.Select(r => Norm(r, null)).ToArray());
            var attn = AttentionOf(x.Select(r => Norm(r, _hf[H("input_layernorm.weight")])).ToArray(), l, hooks);
            if (_sandwich)
            {
                Record(hooks, HookNames.Ln1PostNormalized(l), attn.Select(r => Norm(r, null)).ToArray());
                attn = attn.Select(r => Norm(r, _hf[H("post_attention_layernorm.weight")])).ToArray();
            }
            Record(hooks, HookNames.AttnOut(l), attn);
            x = Add(x, attn);
            Record(hooks, HookNames.ResidMid(l), x);
            Record(hooks, HookNames.Ln2Normalized(l), x.Select(r => Norm(r, null)).ToArray());
            var preMlp = _hf[H(_sandwich ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight")];
            var post = x.Select(r =>
            {
                var h = Norm(r, preMlp);
                var gate = Linear(h, _hf[H("mlp.gate_proj.weight")], null);
                var up = Linear(h, _hf[H("mlp.up_proj.weight")], null);
                return gate.Select((g, i) => GeluTanh(g) * up[i]).ToArray();
            }).ToArray(); // [pos][d_mlp]
            Record(hooks, HookNames.MlpPost(l), post);
            var mlp = post.Select(hidden => Linear(hidden, _hf[H("mlp.down_proj.weight")], null)).ToArray();
            if (_sandwich)
            {
                Record(hooks, HookNames.Ln2PostNormalized(l), mlp.Select(r => Norm(r, null)).ToArray());
                mlp = mlp.Select(r => Norm(r, _hf[H("post_feedforward_layernorm.weight")])).ToArray();
            }
            Record(hooks, HookNames.MlpOut(l), mlp);
            x = Add(x, mlp);
            Record(hooks, HookNames.ResidPost(l), x);
        }
        Record(hooks, HookNames.FinalNormalized, x.Select(r => Norm(r, null)).ToArray());
        var head = _tied ? embedding : _hf["lm_head.weight"]; // [vocab, d_model] either way
        var logits = x.Select(r => Linear(Norm(r, _hf["model.norm.weight"]), head, null)).ToArray();
        if (_finalCap is { } cap) logits = logits.Select(r => r.Select(z => cap * Math.Tanh(z / cap)).ToArray()).ToArray();
        Record(hooks, HookNames.Logits, logits);
        return logits;
    }

    private double[][] AttentionOf(double[][] h, int l, Dictionary<string, double[]>? hooks)
    {
        string H(string leaf) => $"model.layers.{l}.self_attn.{leaf}";
        double[]? B(string leaf) => _hf.TryGetValue(H(leaf), out var b) ? b : null;
        int n = h.Length, group = _heads / _kvHeads;
        var window = _windows[l];
        var (theta, factor) = window is null ? _globalRope : _localRope;
        var q = h.Select(r => Linear(r, _hf[H("q_proj.weight")], B("q_proj.bias"))).ToArray(); // [pos][heads · d_head]
        var k = h.Select(r => Linear(r, _hf[H("k_proj.weight")], B("k_proj.bias"))).ToArray(); // [pos][kv_heads · d_head]
        var v = h.Select(r => Linear(r, _hf[H("v_proj.weight")], B("v_proj.bias"))).ToArray();
        if (_qkNorm)
        {
            q = HeadNorm(q, _heads, _hf[H("q_norm.weight")], hooks, HookNames.QNormalized(l));
            k = HeadNorm(k, _kvHeads, _hf[H("k_norm.weight")], hooks, HookNames.KNormalized(l));
        }
        q = q.Select((r, p) => Rope(r, p, theta, factor)).ToArray();
        k = k.Select((r, p) => Rope(r, p, theta, factor)).ToArray();

        var pattern = new double[_heads * n * n];
        var z = Enumerable.Range(0, n).Select(_ => new double[_heads * _hd]).ToArray();
        for (var head = 0; head < _heads; head++)
        {
            var kvHead = head / group;
            for (var i = 0; i < n; i++)
            {
                // Visible keys: j ≤ i, and in a sliding layer i − j < W (transformers: kv_idx > q_idx − sliding_window).
                var visible = Enumerable.Range(0, i + 1).Where(j => window is not { } w || i - j < w).ToArray();
                var scores = visible.Select(j =>
                {
                    var score = Dot(q[i].AsSpan(head * _hd, _hd), k[j].AsSpan(kvHead * _hd, _hd)) * _scale;
                    return _attnCap is { } cap ? cap * Math.Tanh(score / cap) : score;
                }).ToArray();
                var max = scores.Max();
                var exp = scores.Select(e => Math.Exp(e - max)).ToArray();
                var sum = exp.Sum();
                for (var m = 0; m < visible.Length; m++)
                {
                    var a = exp[m] / sum;
                    pattern[(head * n + i) * n + visible[m]] = a;
                    for (var e = 0; e < _hd; e++) z[i][head * _hd + e] += a * v[visible[m]][kvHead * _hd + e];
                }
            }
        }
        if (hooks is not null) hooks[HookNames.AttnPattern(l)] = pattern;
        return z.Select(r => Linear(r, _hf[H("o_proj.weight")], B("o_proj.bias"))).ToArray();
    }

    /// <summary>RMSNorm (1 + w) over each head's d_head features; records x/rms as [pos, heads, d_head].</summary>
    private double[][] HeadNorm(double[][] rows, int heads, double[] w, Dictionary<string, double[]>? hooks, string hook)
    {
        var normalized = new double[heads * rows.Length * _hd];
        var result = rows.Select(r => new double[r.Length]).ToArray();
        for (var p = 0; p < rows.Length; p++)
            for (var head = 0; head < heads; head++)
            {
                var unit = Norm(rows[p].AsSpan(head * _hd, _hd).ToArray(), null);
                for (var e = 0; e < _hd; e++)
                {
                    normalized[(p * heads + head) * _hd + e] = unit[e];
                    result[p][head * _hd + e] = unit[e] * (1 + w[e]);
                }
            }
        if (hooks is not null) hooks[hook] = normalized;
        return result;
    }

    /// <summary>Rotates pairs (i, i + d_head/2) of every head at position <paramref name="p"/> by p·θ^(−2i/d_head)/factor.</summary>
    private double[] Rope(double[] row, int p, double theta, double factor)
    {
        var half = _hd / 2;
        var result = (double[])row.Clone();
        for (var head = 0; head < row.Length / _hd; head++)
            for (var i = 0; i < half; i++)
            {
                var angle = p * Math.Pow(theta, -2.0 * i / _hd) / factor;
                double a = row[head * _hd + i], b = row[head * _hd + half + i];
                result[head * _hd + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                result[head * _hd + half + i] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
        return result;
    }

    /// <summary>x / rms(x) · (1 + w), or x / rms(x) without a weight.</summary>
    private double[] Norm(double[] x, double[]? w)
    {
        var rms = Math.Sqrt(x.Sum(e => e * e) / x.Length + _eps);
        return x.Select((e, i) => e / rms * (w is null ? 1 : 1 + w[i])).ToArray();
    }

    /// <summary>The tanh approximation of GELU: x/2 · (1 + tanh(√(2/π) (x + 0.044715 x³))).</summary>
    private static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    /// <summary>W x + b with W [out, in] row-major (nn.Linear).</summary>
    private static double[] Linear(double[] x, double[] w, double[]? b)
    {
        var outDim = w.Length / x.Length;
        var y = new double[outDim];
        for (var o = 0; o < outDim; o++) y[o] = Dot(w.AsSpan(o * x.Length, x.Length), x) + (b?[o] ?? 0);
        return y;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double[][] Add(double[][] a, double[][] b) => a.Select((r, p) => r.Select((e, i) => e + b[p][i]).ToArray()).ToArray();

    private static void Record(Dictionary<string, double[]>? hooks, string name, double[][] rows)
    {
        if (hooks is not null) hooks[name] = rows.SelectMany(r => r).ToArray();
    }
}

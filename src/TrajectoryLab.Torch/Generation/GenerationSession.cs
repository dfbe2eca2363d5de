// Decoding a batch of trajectories through one state of the generation map (ModelState): Prefill(prompts) then Step()
// repeatedly. Each step is one dispose scope under no_grad: forward the new tokens, apply each row's sampler with its
// own random stream, append the chosen tokens; logits, log-probs and captured activations leave as float arrays. Runs
// synchronously on one thread.
// Prompts of unequal length are left-padded to the longest (docs/padding.md): the padding is part of the model state, so
// each row computes what it would compute alone (up to rounding), and every position a caller names is the row's own.
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Sampling;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Generation;

/// <summary>A batch of trajectories decoded step by step (start one with <see cref="LanguageModel.StartSession"/>).</summary>
/// <remarks>
/// A step whose logits hold a NaN or an infinity throws <see cref="NonFiniteValueException"/> naming the step, position,
/// row and the first hook point that went non-finite; nothing is sampled from such logits.
/// Step 0 is <see cref="Prefill"/>: one pass over the prompts (positions 0 … P−1) chooses each row's token for position P.
/// Step s ≥ 1 is <see cref="Step"/>: one pass over the token chosen at step s−1 (position P+s−1) chooses the token for
/// position P+s. Row b's uniform at step s is a function of (<see cref="GenerationOptions.Seed"/>, its stream id, s)
/// only, so a row's tokens do not depend on the rest of the batch. The repetition context of a row is every token the
/// model has read in it (the prompt and the tokens chosen before this step).
/// Prompts of unequal length are left-padded to the longest, P columns (docs/padding.md): row b gets
/// <see cref="LeftPad"/>(b) = P − P_b pad columns before its prompt, and its position p sits at column p + LeftPad(b). Its
/// logits and tokens are those of the row run alone (up to rounding). Every position a caller names is the row's own:
/// <see cref="Intervention.Position"/> (so rows of unequal padding reach it in different steps), the position in a
/// <see cref="NonFiniteValueException"/>; what the session reports per column is marked as such:
/// <see cref="StepResult.Position"/> and the position axis of captured activations (see <see cref="Activation"/>).
/// </remarks>
public sealed class GenerationSession : IDisposable
{
    private readonly LanguageModel _owner;
    private readonly CausalLm _model;
    private readonly GenerationOptions _options;
    private List<int>[] _tokens = []; // [batch][length] each row's context, without its padding
    private int[] _pads = []; // [batch] each row's left padding
    private ModelState? _cache;
    private TokenSampler? _sampler;
    private SessionHooks? _hooks;
    private long[] _streams = []; // [batch] each row's stream id
    private int[]? _pending; // [batch] tokens chosen last, read by the next step
    private int _lastStart; // the first column the last pass read (and wrote)

    internal GenerationSession(LanguageModel owner, CausalLm model, GenerationOptions options)
    {
        if (options.MaxNewTokens < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"MaxNewTokens must be ≥ 1, is {options.MaxNewTokens}");
        _owner = owner;
        _model = model;
        _options = options;
    }

    /// <summary>Number of rows (0 before <see cref="Prefill"/>).</summary>
    public int Batch => _tokens.Length;

    /// <summary>Steps taken so far (the prefill counts as one).</summary>
    public int StepsTaken { get; private set; }

    /// <summary>Columns of the batch: the tokens in the longest row's context, prompt plus generated (in an unpadded
    /// session every row's). Row b holds <see cref="RowLength"/>(b) = Length − <see cref="LeftPad"/>(b) tokens.</summary>
    public int Length => _tokens.Length == 0 ? 0 : _tokens[0].Count + _pads[0];

    /// <summary>Tokens in row <paramref name="row"/>'s context: its prompt plus its generated tokens.</summary>
    public int RowLength(int row) => _tokens[row].Count;

    /// <summary>Pad columns before row <paramref name="row"/>'s prompt: the longest prompt's length minus its own (0 in an
    /// unpadded session).</summary>
    public int LeftPad(int row) => _pads[row];

    /// <summary>Row <paramref name="row"/>'s context: its prompt followed by its generated tokens (no padding).</summary>
    public int[] Tokens(int row) => [.. _tokens[row]];

    /// <summary>Step 0: reads the prompts through the cache and chooses each row's first new token.</summary>
    /// <param name="prompts">[batch][P_b] token ids, P_b ≥ 1; prompts shorter than the longest are left-padded to it.</param>
    /// <param name="force">Tokens to append instead of sampled ones ([batch]; teacher forcing), or null to sample.</param>
    /// <exception cref="ArgumentException">No prompt or an empty one, ids outside the vocabulary, sampler/stream/intervention
    /// lists that do not fit the batch, an unknown hook name, or an intervention on ln_final/hook_logits at a prompt position
    /// the head does not run at (see <see cref="GenerationOptions.PromptLogits"/>).</exception>
    /// <exception cref="InvalidOperationException">Prefill was already called.</exception>
    public StepResult Prefill(int[][] prompts, int[]? force = null)
    {
        ObjectDisposedException.ThrowIf(_owner.Session != this, this);
        if (_cache is not null)
            throw new InvalidOperationException("Prefill was already called on this session");
        if (prompts.Length == 0 || prompts.Any(p => p is null || p.Length == 0))
            throw new ArgumentException("prompts must be a nonempty batch of nonempty prompts", nameof(prompts));
        foreach (var p in prompts)
            CheckIds(p, nameof(prompts));
        var batch = prompts.Length;
        var columns = prompts.Max(p => p.Length);
        int[] pads = [.. prompts.Select(p => columns - p.Length)];
        if (!_options.PromptLogits)
            foreach (var i in _options.Interventions.Where(i => HookNames.IsHeadHook(i.Hook) && i.Position is not null))
            {
                var rows = i.Rows ?? Enumerable.Range(0, batch).ToArray();
                if (rows.FirstOrDefault(r => r >= 0 && r < batch && i.Position < prompts[r].Length - 1, -1) is var early and >= 0)
                    throw new ArgumentException(
                        $"intervention at '{i.Hook}' position {i.Position}: the prefill runs the head at the last prompt "
                            + $"position ({prompts[early].Length - 1} in row {early}) only; set PromptLogits to reach earlier ones",
                        nameof(prompts)
                    );
            }
        CheckForce(force, batch);
        var samplers = _options.RowSamplers ?? Enumerable.Repeat(_options.Sampler, batch).ToArray();
        if (samplers.Count != batch)
            throw new ArgumentException($"{samplers.Count} row samplers for a batch of {batch}", nameof(prompts));
        _streams = [.. _options.StreamIds ?? Enumerable.Range(0, batch).Select(i => (long)i)];
        if (_streams.Length != batch)
            throw new ArgumentException($"{_streams.Length} stream ids for a batch of {batch}", nameof(prompts));

        var sampler = new TokenSampler(samplers, _model.Spec.VocabSize, _model.Device);
        SessionHooks? hooks = null;
        try
        {
            hooks = new SessionHooks(_model, pads, _options.Capture);
            foreach (var intervention in _options.Interventions)
                hooks.Add(intervention);
        }
        catch
        {
            hooks?.Dispose();
            sampler.Dispose();
            throw;
        }
        (_sampler, _hooks) = (sampler, hooks);
        BlockAblation.Apply(_model, _options.Ablation);
        _cache = _model.NewState(batch, columns + _options.MaxNewTokens - 1, pads.Any(p => p > 0) ? [.. pads.Select(p => (long)p)] : null);
        _tokens = [.. prompts.Select(p => new List<int>(p))];
        _pads = pads;
        // A pad column holds the row's first token: any id would do (no real position reads it), and this one leaves the
        // row's repetition context (TokenSampler.Observe) as its prompt's.
        return Advance([.. prompts.Select(p => Enumerable.Repeat(p[0], columns - p.Length).Concat(p).ToArray())], 0, force);
    }

    /// <summary>Step s ≥ 1: reads the tokens chosen last and chooses the next ones.</summary>
    /// <param name="force">Tokens to append instead of sampled ones ([batch]; teacher forcing), or null to sample.</param>
    /// <exception cref="InvalidOperationException">Before <see cref="Prefill"/>, or after MaxNewTokens tokens.</exception>
    public StepResult Step(int[]? force = null)
    {
        ObjectDisposedException.ThrowIf(_owner.Session != this, this);
        if (_pending is null)
            throw new InvalidOperationException("call Prefill before Step");
        if (StepsTaken >= _options.MaxNewTokens)
            throw new InvalidOperationException($"the session has generated its MaxNewTokens = {_options.MaxNewTokens} tokens");
        CheckForce(force, Batch);
        return Advance([.. _pending.Select(t => new[] { t })], Length - 1, force);
    }

    /// <summary>Row b continues as row <paramref name="sources"/>[b]: its context, its last chosen token, its repetition
    /// context and the model state the last pass wrote become that row's (its random stream stays its own); then, when
    /// <paramref name="next"/> is given, the token each row reads next (the one chosen last, not read yet) is replaced.
    /// For a lookahead: rows that share a context read different candidate tokens in one pass, the candidate kept is
    /// copied into the other rows, and each row is given the next candidate to read; this costs one gather of the last
    /// pass's columns (the whole state of a recurrent layer) instead of a second pass.</summary>
    /// <param name="sources">[batch] row indices; row b and sources[b] must hold the same context and padding up to the
    /// tokens the last pass read (they may differ in those tokens and in the token chosen after them).</param>
    /// <param name="next">[batch] tokens each row reads in the next pass instead of the ones chosen last, or null.</param>
    /// <exception cref="InvalidOperationException">Before <see cref="Prefill"/>.</exception>
    /// <exception cref="ArgumentException">Not one source per row, a source outside the batch, or a pair of rows that
    /// differ before the last pass.</exception>
    public void CopyRows(int[] sources, int[]? next = null)
    {
        ObjectDisposedException.ThrowIf(_owner.Session != this, this);
        if (_pending is null || _cache is null)
            throw new InvalidOperationException("call Prefill before CopyRows");
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Length != Batch)
            throw new ArgumentException($"{sources.Length} sources for a batch of {Batch}", nameof(sources));
        CheckForce(next, Batch);
        for (var b = 0; b < Batch; b++)
        {
            var s = sources[b];
            if (s < 0 || s >= Batch)
                throw new ArgumentException($"source {s} of row {b} is outside the batch of {Batch}", nameof(sources));
            if (s == b)
                continue;
            var shared = _lastStart - _pads[b]; // row b's own tokens before the last pass
            if (_pads[s] != _pads[b] || !_tokens[b].Take(shared).SequenceEqual(_tokens[s].Take(shared)))
                throw new ArgumentException(
                    $"rows {b} and {s} differ before the last pass (column {_lastStart}); only rows that share a context can be copied",
                    nameof(sources)
                );
        }
        CopyState(sources, _lastStart);
        _tokens = [.. sources.Select(s => new List<int>(_tokens[s]))];
        _pending = [.. sources.Select(s => _pending[s])];
        if (next is null)
            return;
        for (var b = 0; b < Batch; b++)
            _tokens[b][^1] = _pending[b] = next[b];
    }

    /// <summary>Re-orders the rows between steps: row i continues from row <paramref name="parents"/>[i] as it stood after
    /// the last step: its model state (every layer's, every column: <see cref="ModelState.CopyRows"/> from column 0), its context
    /// (<see cref="Tokens"/>), its repetition context, and the token chosen last, which the next step reads — replaced by
    /// <paramref name="pending"/>[i] when given (beam search: beam i extends parent row parents[i] by token pending[i]).
    /// A row may be copied to several rows or dropped. What stays with the row position: its sampler, its random stream id,
    /// its left padding (a parent must have the padding of the row it fills) and the interventions that name rows.</summary>
    /// <param name="parents">[batch] row ids in [0, batch).</param>
    /// <param name="pending">[batch] token ids that replace the tokens chosen last (the last ones of the re-ordered rows'
    /// contexts), or null to keep the parents' own.</param>
    /// <exception cref="InvalidOperationException">Before <see cref="Prefill"/>.</exception>
    /// <exception cref="ArgumentException">Lists that do not fit the batch, row ids out of range, a parent whose padding
    /// differs from the row it fills, or token ids outside the vocabulary.</exception>
    public void ReorderRows(int[] parents, int[]? pending = null)
    {
        ObjectDisposedException.ThrowIf(_owner.Session != this, this);
        if (_pending is null || _cache is null)
            throw new InvalidOperationException("call Prefill before ReorderRows");
        var batch = Batch;
        if (parents.Length != batch)
            throw new ArgumentException($"{parents.Length} parents for a batch of {batch}", nameof(parents));
        if (parents.FirstOrDefault(p => p < 0 || p >= batch, -1) is var bad and not -1)
            throw new ArgumentException($"parent row {bad} is outside [0, {batch})", nameof(parents));
        if (parents.Select((p, i) => _pads[p] != _pads[i]).Any(x => x))
            throw new ArgumentException("a parent row must have the left padding of the row it fills", nameof(parents));
        if (pending is not null)
        {
            if (pending.Length != batch)
                throw new ArgumentException($"{pending.Length} pending tokens for a batch of {batch}", nameof(pending));
            CheckIds(pending, nameof(pending));
        }
        CopyState(parents, 0);
        var chosen = pending ?? [.. parents.Select(p => _pending[p])];
        _tokens = [.. parents.Select((p, i) => new List<int>(_tokens[p].Take(_tokens[p].Count - 1)) { chosen[i] })];
        _pending = [.. chosen];
    }

    /// <summary>Row b's model state (columns <paramref name="from"/> … Length − 2, every column the passes wrote from there;
    /// a recurrent layer's whole state) and repetition context become row sources[b]'s.</summary>
    /// <param name="sources">[batch] row ids, checked by the caller.</param>
    /// <param name="from">First column that may differ between the rows.</param>
    private void CopyState(int[] sources, long from)
    {
        using var scope = NewDisposeScope();
        var index = tensor(sources.Select(s => (long)s).ToArray(), [Batch], ScalarType.Int64, _model.Device); // [batch]
        _cache!.CopyRows(index, from, Length - 1);
        _sampler!.CopyRows(index);
    }

    /// <summary>Activates <paramref name="intervention"/> from the next step on (after <see cref="Prefill"/>; interventions
    /// for the prefill go in <see cref="GenerationOptions.Interventions"/>).</summary>
    /// <exception cref="InvalidOperationException">Before <see cref="Prefill"/>.</exception>
    /// <exception cref="ArgumentException">See <see cref="Intervention"/>.</exception>
    public void AddIntervention(Intervention intervention)
    {
        if (_hooks is null)
            throw new InvalidOperationException("call Prefill before AddIntervention");
        _hooks.Add(intervention);
    }

    /// <summary>One pass over <paramref name="input"/> at startPos, then the choice of the next tokens.</summary>
    /// <param name="input">[batch][count] token ids.</param>
    /// <param name="startPos">Input's first column (its position in the rows without padding).</param>
    /// <param name="force">Tokens to append instead of sampled ones (checked), or null.</param>
    private StepResult Advance(int[][] input, int startPos, int[]? force)
    {
        var batch = input.Length;
        var count = input[0].Length;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // tokens: [batch, count]
        var tokens = tensor(input.SelectMany(r => r.Select(t => (long)t)).ToArray(), [batch, count], ScalarType.Int64, _model.Device);
        _sampler!.Observe(tokens);
        _lastStart = startPos;
        _hooks!.Begin(StepsTaken, startPos, count);
        var logits = _model.Forward(tokens, _cache, startPos, lastPositionOnly: !_options.PromptLogits).select(1, -1); // [batch, d_vocab]
        if (!logits.isfinite().all().item<bool>())
        {
            // Re-running the pass rewrites the same cache slots with the same values, so the probe sees what the pass saw.
            var row = NonFiniteLocator.NonFiniteRows(logits)[0];
            var site = NonFiniteLocator.FirstSite(_model, row, () =>
                _model.Forward(tokens, _cache, startPos, lastPositionOnly: !_options.PromptLogits)
            );
            throw new NonFiniteValueException("logits", StepsTaken, startPos + count - 1 - _pads[row], row, site);
        }
        var activations = _hooks.End();
        var rawLogits = _options.Outputs.HasFlag(StepOutputs.Logits) ? Rows(logits) : null;
        var logProbs = _options.Outputs.HasFlag(StepOutputs.LogProbs) ? Rows(logits.to_type(ScalarType.Float32).log_softmax(-1)) : null;
        var chosen = force?.ToArray()
            ??
            [
                .. _sampler
                    .Choose(logits, RandomStreams.Uniforms(_options.Seed, _streams, StepsTaken))
                    .cpu()
                    .data<long>()
                    .ToArray()
                    .Select(t => (int)t),
            ];

        for (var b = 0; b < batch; b++)
            _tokens[b].Add(chosen[b]);
        _pending = chosen;
        return new StepResult(StepsTaken++, startPos + count - 1, chosen, rawLogits, logProbs, activations);
    }

    /// <param name="values">[batch, n] any float dtype.</param>
    /// <returns>[batch][n] float32 on CPU.</returns>
    private static float[][] Rows(Tensor values)
    {
        var n = (int)values.shape[1];
        var flat = values.to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray(); // [batch * n]
        return [.. Enumerable.Range(0, (int)values.shape[0]).Select(b => flat.AsSpan(b * n, n).ToArray())];
    }

    private void CheckForce(int[]? force, int batch)
    {
        if (force is null)
            return;
        if (force.Length != batch)
            throw new ArgumentException($"{force.Length} forced tokens for a batch of {batch}", nameof(force));
        CheckIds(force, nameof(force));
    }

    private void CheckIds(int[] ids, string parameter)
    {
        var vocab = _model.Spec.VocabSize;
        if (ids.Any(t => t < 0 || t >= vocab))
            throw new ArgumentException($"token ids must be in [0, {vocab})", parameter);
    }

    /// <summary>Removes the hooks, frees the cache and sampler state, and lets the model start another session.</summary>
    public void Dispose()
    {
        if (_hooks is not null)
            BlockAblation.Apply(_model, BlockAblation.Full);
        _hooks?.Dispose();
        _sampler?.Dispose();
        _cache?.Dispose();
        _hooks = null;
        _sampler = null;
        _cache = null;
        _owner.EndSession(this);
    }
}

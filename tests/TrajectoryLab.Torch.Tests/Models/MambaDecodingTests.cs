// Mamba's recurrent state as the generation map's state: prefill + one-token steps + a chunk equal one full pass (the
// sequential scan continued from the carried state), a batch equals its sequences alone, a pass re-run from where the
// last one started reads the state that pass read (as an attention cache's rewrite does), a pass that skips positions
// is refused, a change a hook makes to the state carries forward exactly as the recurrence would have, and
// MixDeviations re-combines the rows' deviations of both parts of the state.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class MambaDecodingTests
{
    [Theory]
    [MemberData(nameof(TinyMambas.Names), MemberType = typeof(TinyMambas))]
    public void CachedDecodingEqualsFullRecomputation(string config)
    {
        using var model = TinyMambas.Create(config);
        DecodingTests.AssertCachedDecodingEqualsFullRecomputation(model);
    }

    [Theory]
    [MemberData(nameof(TinyMambas.Names), MemberType = typeof(TinyMambas))]
    public void BatchEqualsOneAtATime(string config)
    {
        using var model = TinyMambas.Create(config);
        DecodingTests.AssertBatchEqualsOneAtATime(model);
    }

    [Fact]
    public void BatchedCachedDecodingEqualsOneAtATime()
    {
        using var model = TinyMambas.Create("mamba-untied-bias");
        DecodingTests.AssertBatchedGreedyEqualsOneAtATime(model);
    }

    [Fact]
    public void ARerunOfTheLastPassReadsTheStateThatPassRead()
    {
        using var model = TinyMambas.Create("mamba-tied");
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 7, seed: 6);
        using var state = model.NewState(2, 16);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.call(TinyLlamas.AsTensor([.. tokens.Select(t => t[..4])]), state, 0);
        var first = TinyLlamas.ToDoubles(model.call(TinyLlamas.AsTensor([.. tokens.Select(t => t[4..])]), state, 4));
        var again = TinyLlamas.ToDoubles(model.call(TinyLlamas.AsTensor([.. tokens.Select(t => t[4..])]), state, 4));
        Assert.Equal(first, again);
        var full = TinyLlamas.Logits(model, tokens);
        var restarted = TinyLlamas.ToDoubles(model.call(TinyLlamas.AsTensor(tokens), state, 0)); // from position 0 again
        Assert.True(TinyLlamas.RelativeError(restarted, full) < 1e-6);
        var e = Assert.Throws<InvalidOperationException>(() => model.call(TinyLlamas.AsTensor([.. tokens.Select(t => t[..1])]), state, 9));
        Assert.Contains("cannot start at position 9", e.Message);
    }

    [Fact]
    public void AChangedStateCarriesForwardAsTheRecurrenceWould()
    {
        // Scaling the state at position 3 inside a prefill of 8 must equal prefilling 4 with the same change at its last
        // position, then reading the other 4 from the carried (changed) state.
        using var model = TinyMambas.Create("mamba-untied-bias");
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 8, seed: 2);
        var site = HookNames.MambaSsmState(1);
        Tensor Halve(Tensor states, long index)
        {
            var changed = states.clone(); // [batch, pos, d_inner, d_state]
            changed.select(1, index).mul_(0.5);
            return changed;
        }

        double[] whole, stepped;
        using (var state = model.NewState(2, 8))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var hook = model.Hook(site).register_forward_hook((_, _, s) => Halve(s, 3));
            try { whole = TinyLlamas.ToDoubles(model.call(TinyLlamas.AsTensor(tokens), state, 0).narrow(1, 4, 4)); }
            finally { hook.remove(); }
        }
        using (var state = model.NewState(2, 8))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var hook = model.Hook(site).register_forward_hook((_, _, s) => Halve(s, s.shape[1] - 1));
            try { model.call(TinyLlamas.AsTensor([.. tokens.Select(t => t[..4])]), state, 0); }
            finally { hook.remove(); }
            stepped = TinyLlamas.ToDoubles(model.call(TinyLlamas.AsTensor([.. tokens.Select(t => t[4..])]), state, 4));
        }
        var unchanged = TinyLlamas.Logits(model, tokens);
        Assert.True(TinyLlamas.RelativeError(stepped, whole) < 1e-5);
        Assert.NotEqual(whole[0], unchanged[4 * model.Spec.VocabSize]); // the change mattered
    }

    [Fact]
    public void ANonFiniteDecodingStepIsTracedToTheStateThatWentNonFinite()
    {
        // After a healthy prefill, A = −exp(NaN) in block 1: the step's re-run (from the state before it) finds the
        // selective state the first non-finite activation, everything before it in the pass finite.
        using var model = new LanguageModel(TinyMambas.Create("mamba-tied"));
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 3 });
        session.Prefill([[1, 2, 3]]);
        using (no_grad())
            foreach (var (name, p) in model.Model.named_parameters())
                if (name == ParameterNames.Block(1, ParameterNames.MambaALog))
                    p.fill_(double.NaN);
        var e = Assert.Throws<NonFiniteValueException>(() => session.Step());
        Assert.Equal((1, 3, HookNames.MambaSsmState(1)), (e.Step, e.Position, e.Site));
    }

    [Fact]
    public void MixDeviationsRecombinesBothPartsOfTheState()
    {
        using var model = TinyMambas.Create("mamba-tied");
        var rows = TinyLlamas.Tokens(model.Spec, batch: 3, length: 5, seed: 1);
        var same = rows.Select(_ => rows[0]).ToArray();
        var next = TinyLlamas.AsTensor([.. same.Select(r => r[..1])]);
        double[] Continue(ModelState state)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return TinyLlamas.ToDoubles(model.call(next, state, 5));
        }
        ModelState Diverged()
        {
            var state = model.NewState(3, 8);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.call(TinyLlamas.AsTensor(rows), state, 0); // three different histories
            return state;
        }
        var vocab = model.Spec.VocabSize;
        using (var state = Diverged())
        {
            state.MixDeviations(zeros(2, 2), 0, 5); // rows 1, 2 become copies of row 0
            var logits = Continue(state);
            // Equal states; the batched products may round rows differently (by ~1e-7).
            Assert.True(TinyLlamas.RelativeError(logits[vocab..(2 * vocab)], logits[..vocab]) < 1e-6);
            Assert.True(TinyLlamas.RelativeError(logits[(2 * vocab)..], logits[..vocab]) < 1e-6);
        }
        using (var state = Diverged())
        using (var swapped = Diverged())
        {
            swapped.MixDeviations(tensor(new float[] { 0, 1, 1, 0 }, [2, 2]), 0, 5); // deviation 1 ↔ deviation 2
            var (plain, mixed) = (Continue(state), Continue(swapped));
            Assert.True(TinyLlamas.RelativeError(mixed[vocab..(2 * vocab)], plain[(2 * vocab)..]) < 1e-5);
            Assert.True(TinyLlamas.RelativeError(mixed[(2 * vocab)..], plain[vocab..(2 * vocab)]) < 1e-5);
        }
    }
}

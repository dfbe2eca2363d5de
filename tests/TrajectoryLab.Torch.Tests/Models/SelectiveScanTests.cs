// The kernel of Mamba's selective scan (SelectiveScan.cs) against an independent float64 loop of libtorch ops
// differentiated by autograd, on random shapes (FsCheck); a whole Mamba in training mode (kernel) against the same model
// in eval mode (the libtorch loop): same logits, same gradient of every parameter; and a prefill without gradients (the
// kernel's forward) against the loop, including the state it leaves for the next decoding step.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class SelectiveScanTests
{
    /// <summary>Shapes: batch 1–3, positions 1–12, channels 1–9, state 1–17 (across one SIMD width), and a seed.</summary>
    static readonly Arbitrary<(int Batch, int Pos, int Inner, int State, int Seed)> Shapes = (
        from batch in Gen.Choose(1, 3)
        from pos in Gen.Choose(1, 12)
        from inner in Gen.Choose(1, 9)
        from state in Gen.Choose(1, 17)
        from seed in Gen.Choose(0, 100_000)
        select (batch, pos, inner, state, seed)
    ).ToArbitrary();

    [Property(MaxTest = 60)]
    public Property KernelMatchesTheAutogradLoop() => Prop.ForAll(Shapes, s =>
        {
            using var scope = NewDisposeScope();
            manual_seed(s.Seed);
            var u = randn(s.Batch, s.Pos, s.Inner); // [batch, pos, d_inner]
            var delta = rand(s.Batch, s.Pos, s.Inner).mul(0.8).add(0.05); // Δ > 0, [batch, pos, d_inner]
            var b = randn(s.Batch, s.Pos, s.State); // [batch, pos, d_state]
            var c = randn(s.Batch, s.Pos, s.State); // [batch, pos, d_state]
            var a = rand(s.Inner, s.State).mul(3).add(0.1).neg(); // A < 0, [d_inner, d_state]
            var initial = randn(s.Batch, s.Inner, s.State); // [batch, d_inner, d_state]
            var gy = randn(s.Batch, s.Pos, s.Inner); // ∂L/∂y

            Tensor[] leaves = [u, delta, b, c, a, initial];
            var kernel = leaves.Select(t => t.clone().requires_grad_(true)).ToArray();
            var y = SelectiveScanFunction.apply([.. kernel]);
            y.mul(gy).sum().backward();

            var reference = leaves.Select(t => t.to_type(ScalarType.Float64).requires_grad_(true)).ToArray();
            var yRef = Loop(reference[0], reference[1], reference[2], reference[3], reference[4], reference[5]);
            yRef.mul(gy.to_type(ScalarType.Float64)).sum().backward();

            var problems = new List<string>();
            Compare("y", y, yRef, problems);
            string[] names = ["u", "Δ", "B", "C", "A", "s_0"];
            for (var i = 0; i < names.Length; i++)
                Compare("∂L/∂" + names[i], kernel[i].grad!, reference[i].grad!, problems);
            return (problems.Count == 0).Label(string.Join("; ", problems) + $" at {s}");
        });

    /// <summary>d_state = 16 takes the register form, one channel's state a 512-bit vector; it must give the bits of the
    /// general form (four passes over the states, then the dot product) for any batch, positions and channels (units of
    /// 32 channels and a partial one), and the same last state.</summary>
    [Property(MaxTest = 30)]
    public Property TheRegisterFormOfSixteenStatesGivesTheSameBits(int seed)
    {
        var random = new Random(seed);
        var shape = new SelectiveScanKernel.Shape(random.Next(1, 4), random.Next(1, 20), random.Next(1, 80), 16);
        float[] Fill(int n, double low, double high) =>
            [.. Enumerable.Range(0, n).Select(_ => (float)(low + (high - low) * random.NextDouble()))];
        int rows = shape.Batch * shape.Positions,
            states = shape.Batch * shape.Inner * 16;
        var (u, delta, b, c) = (
            Fill(rows * shape.Inner, -2, 2),
            Fill(rows * shape.Inner, 0.05, 0.85),
            Fill(rows * 16, -2, 2),
            Fill(rows * 16, -2, 2)
        );
        var (a, initial) = (Fill(shape.Inner * 16, -3.1, -0.1), Fill(states, -1, 1));
        float[] lastRegisters = new float[states],
            lastGeneral = new float[states];
        var registers = SelectiveScanKernel.Forward(shape, u, delta, b, c, a, initial, lastRegisters);
        var general = SelectiveScanKernel.Forward(shape, u, delta, b, c, a, initial, lastGeneral, registers: false);
        return (registers.SequenceEqual(general) && lastRegisters.SequenceEqual(lastGeneral)).Label($"{shape}");
    }

    [Theory]
    [MemberData(nameof(TinyMambas.Names), MemberType = typeof(TinyMambas))]
    public void TrainingModeMatchesEvalMode(string name)
    {
        using var scope = NewDisposeScope();
        using var model = TinyMambas.Create(name);
        manual_seed(11);
        var ids = randint(0, model.Spec.VocabSize, [2, 9]); // [batch, pos]
        var weights = randn(2, 9, model.Spec.VocabSize); // a random linear loss of the logits

        (Tensor Logits, Dictionary<string, Tensor> Grads) Run(bool training)
        {
            model.train(training);
            model.zero_grad();
            var logits = model.call(ids, null, 0); // [batch, pos, vocab]
            logits.mul(weights).sum().backward();
            return (logits.detach(), model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
        }

        var (loop, loopGrads) = Run(training: false);
        var (fused, fusedGrads) = Run(training: true);
        var problems = new List<string>();
        Compare("logits", fused, loop, problems);
        foreach (var (parameter, grad) in loopGrads)
            Compare(parameter, fusedGrads[parameter], grad, problems);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [MemberData(nameof(TinyMambas.Names), MemberType = typeof(TinyMambas))]
    public void APrefillWithoutGradientsMatchesTheLoopAndLeavesTheSameState(string name)
    {
        using var scope = NewDisposeScope();
        using var model = TinyMambas.Create(name);
        model.eval();
        manual_seed(13);
        var ids = randint(0, model.Spec.VocabSize, [2, 12]); // [batch, pos]

        // Prefill 11 positions, then decode the 12th from the state the prefill left.
        Tensor Run(bool gradients)
        {
            using var state = model.NewState(2, 16);
            using var mode = gradients ? enable_grad() : no_grad(); // no_grad: the kernel; with gradients: the loop
            var prompt = model.call(ids.narrow(1, 0, 11), state, 0); // [batch, 11, vocab]
            var next = model.call(ids.narrow(1, 11, 1), state, 11); // [batch, 1, vocab], one position: the loop either way
            return cat([prompt, next], 1).detach();
        }

        var problems = new List<string>();
        Compare("logits", Run(gradients: false), Run(gradients: true), problems);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>The recurrence written out with libtorch ops: s_t = exp(Δ_t A) ⊙ s_{t−1} + Δ_t u_t B_t, y_t = s_t C_t.</summary>
    static Tensor Loop(Tensor u, Tensor delta, Tensor b, Tensor c, Tensor a, Tensor initial)
    {
        var s = initial; // [batch, d_inner, d_state]
        var ys = new List<Tensor>();
        for (var t = 0; t < u.shape[1]; t++)
        {
            var dt = delta.select(1, t).unsqueeze(-1); // [batch, d_inner, 1]
            var input = dt.mul(u.select(1, t).unsqueeze(-1)).mul(b.select(1, t).unsqueeze(1)); // [batch, d_inner, d_state]
            s = dt.mul(a).exp().mul(s).add(input);
            ys.Add(s.mul(c.select(1, t).unsqueeze(1)).sum(-1)); // [batch, d_inner]
        }
        return stack(ys, 1); // [batch, pos, d_inner]
    }

    /// <summary>|x − y| ≤ 2e-5 · (1 + max |y|) elementwise: float32 against float64 through up to 12 recurrent steps.</summary>
    static void Compare(string what, Tensor x, Tensor y, List<string> problems)
    {
        var (xd, yd) = (x.to_type(ScalarType.Float64), y.to_type(ScalarType.Float64));
        var scale = 1 + yd.abs().max().item<double>();
        var error = xd.sub(yd).abs().max().item<double>();
        if (!(error <= 2e-5 * scale))
            problems.Add($"{what}: max |Δ| {error:G3} (scale {scale:G3})");
    }
}

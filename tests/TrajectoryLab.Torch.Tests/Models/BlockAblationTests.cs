// Path ablations of Dong et al. (2021): without skip connections a block's output is its sublayer's output, without the
// MLP it adds nothing after attention, and a session leaves the model unablated when it ends.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Generation;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class BlockAblationTests
{
    static IReadOnlyDictionary<string, Activation> Prefill(LanguageModel model, BlockAblation ablation, params string[] hooks)
    {
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 1, Capture = hooks, Ablation = ablation });
        return session.Prefill([[1, 2, 3, 4]]).Activations;
    }

    [Fact]
    public void EachAblationRemovesExactlyItsPaths()
    {
        using var model = TinyLms.Create("gqa-untied");
        string[] hooks = [HookNames.AttnOut(1), HookNames.ResidMid(1), HookNames.MlpOut(1), HookNames.ResidPost(1)];

        var pure = Prefill(model, BlockAblation.PureAttention, hooks);
        Assert.Equal(pure[HookNames.AttnOut(1)].Rows[0], pure[HookNames.ResidPost(1)].Rows[0]);   // resid_post = attn_out
        Assert.All(pure[HookNames.MlpOut(1)].Rows[0], v => Assert.Equal(0f, v));

        var skip = Prefill(model, BlockAblation.AttentionSkip, hooks);
        Assert.Equal(skip[HookNames.ResidMid(1)].Rows[0], skip[HookNames.ResidPost(1)].Rows[0]); // nothing after attention

        var mlp = Prefill(model, BlockAblation.AttentionMlp, hooks);
        Assert.Equal(mlp[HookNames.AttnOut(1)].Rows[0], mlp[HookNames.ResidMid(1)].Rows[0]);     // resid_mid = attn_out
        Assert.Equal(mlp[HookNames.MlpOut(1)].Rows[0], mlp[HookNames.ResidPost(1)].Rows[0]);     // resid_post = mlp_out
    }

    [Fact]
    public void TheFullModelIsUnchangedAndASessionLeavesNoAblationBehind()
    {
        using var model = TinyLms.Create("gqa-untied");
        var before = Prefill(model, BlockAblation.Full, HookNames.ResidPost(1))[HookNames.ResidPost(1)].Rows[0];
        var ablated = Prefill(model, BlockAblation.PureAttention, HookNames.ResidPost(1))[HookNames.ResidPost(1)].Rows[0];
        Assert.NotEqual(before, ablated);
        using (var session = model.StartSession(new GenerationOptions { MaxNewTokens = 1, Capture = [HookNames.ResidPost(1)] }))
            Assert.Equal(before, session.Prefill([[1, 2, 3, 4]]).Activations[HookNames.ResidPost(1)].Rows[0]); // default options: full model again
    }
}

// Path ablations of Dong et al. (2021): without skip connections a block's output is its sublayer's output, without the
// MLP it adds nothing after attention, and a session leaves the model unablated when it ends. The residual-branch scale
// α of Noci et al. (2022, NeurIPS, arXiv:2206.03126): resid_mid = resid_pre + α attn and resid_post = resid_mid + α mlp.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Generation;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class BlockAblationTests
{
    static IReadOnlyDictionary<string, Activation> Prefill(LanguageModel model, BlockAblation ablation, params string[] hooks)
    {
        using var session = model.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = 1,
                Capture = hooks,
                Ablation = ablation,
            }
        );
        return session
            .Prefill([
                [1, 2, 3, 4],
            ])
            .Activations;
    }

    [Fact]
    public void EachAblationRemovesExactlyItsPaths()
    {
        using var model = TinyLms.Create("gqa-untied");
        string[] hooks = [HookNames.AttnOut(1), HookNames.ResidMid(1), HookNames.MlpOut(1), HookNames.ResidPost(1)];

        var pure = Prefill(model, BlockAblation.PureAttention, hooks);
        Assert.Equal(pure[HookNames.AttnOut(1)].Rows[0], pure[HookNames.ResidPost(1)].Rows[0]); // resid_post = attn_out
        Assert.All(pure[HookNames.MlpOut(1)].Rows[0], v => Assert.Equal(0f, v));

        var skip = Prefill(model, BlockAblation.AttentionSkip, hooks);
        Assert.Equal(skip[HookNames.ResidMid(1)].Rows[0], skip[HookNames.ResidPost(1)].Rows[0]); // nothing after attention

        var mlp = Prefill(model, BlockAblation.AttentionMlp, hooks);
        Assert.Equal(mlp[HookNames.AttnOut(1)].Rows[0], mlp[HookNames.ResidMid(1)].Rows[0]); // resid_mid = attn_out
        Assert.Equal(mlp[HookNames.MlpOut(1)].Rows[0], mlp[HookNames.ResidPost(1)].Rows[0]); // resid_post = mlp_out
    }

    [Fact]
    public void TheFullModelIsUnchangedAndASessionLeavesNoAblationBehind()
    {
        using var model = TinyLms.Create("gqa-untied");
        var before = Prefill(model, BlockAblation.Full, HookNames.ResidPost(1))[HookNames.ResidPost(1)].Rows[0];
        var ablated = Prefill(model, BlockAblation.PureAttention, HookNames.ResidPost(1))[HookNames.ResidPost(1)].Rows[0];
        Assert.NotEqual(before, ablated);
        using (var session = model.StartSession(new GenerationOptions { MaxNewTokens = 1, Capture = [HookNames.ResidPost(1)] }))
            Assert.Equal(
                before,
                session
                    .Prefill([
                        [1, 2, 3, 4],
                    ])
                    .Activations[HookNames.ResidPost(1)]
                    .Rows[0]
            ); // default options: full model again
    }

    [Fact]
    public void TheBranchScaleMultipliesWhatEachSublayerAddsToTheStream()
    {
        using var model = TinyLms.Create("gqa-untied");
        string[] hooks = [HookNames.ResidPre(0), HookNames.AttnOut(0), HookNames.ResidMid(0), HookNames.MlpOut(0), HookNames.ResidPost(0)];
        const double alpha = 0.25; // 1/√16
        var full = Prefill(model, BlockAblation.Full, hooks);
        var scaled = Prefill(model, BlockAblation.Full.Scaled(alpha), hooks);
        var pre = full[HookNames.ResidPre(0)].Rows[0];
        var attn = full[HookNames.AttnOut(0)].Rows[0]; // layer 0 reads the same embeddings either way
        Assert.Equal(pre, scaled[HookNames.ResidPre(0)].Rows[0]);
        var scaledAttn = scaled[HookNames.AttnOut(0)].Rows[0];
        var mid = scaled[HookNames.ResidMid(0)].Rows[0];
        var mlp = scaled[HookNames.MlpOut(0)].Rows[0];
        var post = scaled[HookNames.ResidPost(0)].Rows[0];
        for (var i = 0; i < pre.Length; i++)
        {
            Assert.Equal(alpha * attn[i], scaledAttn[i], 1e-6); // hook_attn_out sees α·attn
            Assert.Equal(pre[i] + alpha * attn[i], mid[i], 1e-6); // x + α attn(ln1 x), by hand
            Assert.Equal(mid[i] + mlp[i], post[i], 1e-6); // + α mlp(ln2 mid), hook_mlp_out holding α·mlp
        }
        Assert.NotEqual(full[HookNames.MlpOut(0)].Rows[0], mlp);
        Assert.Equal(BlockAblation.Full, BlockAblation.Full.Scaled(1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BlockAblation.Full.Scaled(0));
    }

    [Fact]
    public void PureAttentionAtDepthOneIsTheAttentionOutputOfTheEmbeddings()
    {
        using var model = TinyLms.Create("gqa-untied");
        string[] hooks = [HookNames.AttnOut(0), HookNames.ResidPost(0)];
        var full = Prefill(model, BlockAblation.Full, hooks);
        var pure = Prefill(model, BlockAblation.PureAttention, hooks);
        Assert.Equal(full[HookNames.AttnOut(0)].Rows[0], pure[HookNames.ResidPost(0)].Rows[0]); // one block: attn(ln1 x) and nothing else
    }
}

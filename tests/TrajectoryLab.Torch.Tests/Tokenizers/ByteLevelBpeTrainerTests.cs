// The byte-level BPE trainer: the merges of Sennrich et al.'s toy corpus, byte-identical output for the same (and
// reordered) input, a saved folder that HfTokenizer.Load reads back with BOS/EOS, Decode(Encode(s)) == s for any
// Unicode text, and the library's encoding equal to the own BpeModel's on random text.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Tests.Tokenizers;

public sealed class ByteLevelBpeTrainerTests
{
    private static readonly BpeTrainerOptions SmallOptions = new() { VocabularySize = 400 };

    // Trained once for the whole class; the loaded tokenizers keep nothing open, so the folder goes at once.
    private static readonly Lazy<(ITextTokenizer Library, ITextTokenizer Own)> Trained = new(() =>
    {
        using var folder = new TempFolder();
        ByteLevelBpeTrainer.Train(TokenizerFixtures.Corpus(20_000), SmallOptions).Save(folder.Path);
        return (HfTokenizer.Load(folder.Path), new HfBpeTokenizer(HfTokenizer.Read(folder.Path)));
    });

    private static string Piece(TrainedBpeTokenizer t, int id) => ByteLevelAlphabet.FromBytes(t.TokenBytes(id));

    [Fact]
    public void Learns_the_toy_corpus_merges_of_Sennrich_et_al()
    {
        // Pre-tokens: low ×1, " low" ×4, " lower" ×2, " newest" ×6, " widest" ×3. Pair counts: (e,s) 9, (s,t) 9, (w,e) 8,
        // (l,o) 7, (o,w) 7, ... The tie (e,s)/(s,t) goes to the smaller ids (101,115); then (es,t) 9; then (l,o)/(o,w) tie → (l,o).
        // The special tokens are cut out before counting: were they counted, (e,n) etc. would score 12 and merge first.
        string[] corpus =
        [
            "low low low low low lower lower newest newest newest newest newest newest widest widest widest",
            string.Concat(Enumerable.Repeat("<|endoftext|>", 12)),
        ];
        var trained = ByteLevelBpeTrainer.Train(corpus, new BpeTrainerOptions { VocabularySize = 256 + 4 + 1 });

        Assert.Equal(["e s", "es t", "l o", "lo w"], trained.Merges.Select(m => Piece(trained, m.Left) + " " + Piece(trained, m.Right)));
        Assert.Equal([256, 257, 258, 259], trained.Merges.Select(m => m.Merged));
        Assert.Equal(261, trained.VocabularySize);

        using var folder = new TempFolder();
        trained.Save(folder.Path);
        var tokenizer = HfTokenizer.Load(folder.Path);
        Assert.Equal([259, 257], tokenizer.Encode("lowest")); // low + est
        Assert.Equal([260], tokenizer.Encode("<|endoftext|>"));
        Assert.Equal((260, 260), (tokenizer.BosId, tokenizer.EosId));
        Assert.True(File.Exists(folder.File("tokenizer_config.json")));
    }

    [Fact]
    public void Same_input_gives_identical_files_whatever_the_order_of_texts()
    {
        var corpus = TokenizerFixtures.Corpus(5_000, seed: 3);
        var options = new BpeTrainerOptions { VocabularySize = 400, SpecialTokens = ["<|endoftext|>", "<|pad|>"] };
        var first = ByteLevelBpeTrainer.Train(corpus, options);
        var second = ByteLevelBpeTrainer.Train(corpus, options);
        var reversed = ByteLevelBpeTrainer.Train(Enumerable.Reverse(corpus), options);

        Assert.Equal(first.TokenizerJson(), second.TokenizerJson());
        Assert.Equal(first.TokenizerJson(), reversed.TokenizerJson());
        Assert.Equal(first.TokenizerConfigJson(), reversed.TokenizerConfigJson());
        Assert.Equal(400, first.VocabularySize);
    }

    [Fact]
    public void Saved_folder_loads_through_the_library_with_bos_and_eos()
    {
        var library = Trained.Value.Library;
        Assert.IsType<MlByteLevelBpeTokenizer>(library);
        Assert.Equal(400, library.VocabularySize);
        Assert.Equal(399, library.BosId);
        Assert.Equal(399, library.EosId);
        Assert.True(library.Encode("the dynamical system of the token").Length < "the dynamical system of the token".Length / 2);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => ByteLevelBpeTrainer.Train([], new BpeTrainerOptions { VocabularySize = 200 }));
        Assert.Throws<ArgumentException>(() => ByteLevelBpeTrainer.Train([], new BpeTrainerOptions { BosToken = "<s>" }));
        Assert.Equal(257, ByteLevelBpeTrainer.Train([], new BpeTrainerOptions()).VocabularySize); // nothing to learn
    }

    [Property(MaxTest = 300)]
    public Property Trained_tokenizer_round_trips_any_unicode_text() =>
        Prop.ForAll(UnicodeGen.Strings(), s => Trained.Value.Library.Decode(Trained.Value.Library.Encode(s)) == s);

    [Property(MaxTest = 300)]
    public Property Library_encoding_equals_the_own_bpe_model() =>
        Prop.ForAll(UnicodeGen.Strings(), s => Trained.Value.Library.Encode(s).SequenceEqual(Trained.Value.Own.Encode(s)));

    [Property(MaxTest = 200)]
    public Property Library_decoding_equals_the_own_decoder() =>
        Prop.ForAll(Gen.Choose(0, 399).ArrayOf().ToArbitrary(), ids => Trained.Value.Library.Decode(ids) == Trained.Value.Own.Decode(ids));
}

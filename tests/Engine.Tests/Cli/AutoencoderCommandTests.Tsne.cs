using System.Globalization;
using System.Text.RegularExpressions;
using Engine.Analysis;
using Engine.Cli.Commands;
using Engine.Cli.Imaging;
using Engine.Tensors;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Cli;

public sealed partial class AutoencoderCommandTests
{
    [GeneratedRegex(@"the t-SNE of the (\d+)-D codes of (\d+) test images to (\S+) \(KL (\d+\.\d{4}), trustworthiness (\d\.\d{4}) at k = 10; codes and embedding in (\S+)\)")]
    private static partial Regex PrintedTsne();

    /// <summary>
    /// A 32-D autoencoder's codes are embedded by t-SNE: the printed KL divergence and trustworthiness
    /// are what the library computes again from the codes and the embedding the CSV holds, and the
    /// embedding is what <see cref="Tsne.Run(Tensor, TsneOptions)"/> makes of those codes with the seed.
    /// </summary>
    [Fact]
    public void SampleEmbedsWideCodesByTsneAndPrintsWhatTheLibraryComputes()
    {
        const int points = 150, dims = 32;
        var ae = Tiny("ae", "tsne");
        Assert.Equal(0, TrainCommand.Run(ae, new StringWriter(), _errors));
        var log = new StringWriter();
        Assert.Equal(0, SampleCommand.Run(ae.Output!, null, 4, 3, null, fixture.Spec.ToString(), log, _errors, tsnePoints: points));
        var printed = PrintedTsne().Match(log.ToString());
        Assert.True(printed.Success, log.ToString());
        Assert.Equal((dims.ToString(CultureInfo.InvariantCulture), points.ToString(CultureInfo.InvariantCulture)), (printed.Groups[1].Value, printed.Groups[2].Value));
        Assert.Equal(Path.Combine(ae.Output!, "tsne.png"), printed.Groups[3].Value);
        Assert.Equal((LatentPlot.Width, LatentPlot.Height), RunFiles.PngSize(printed.Groups[3].Value));
        Assert.False(File.Exists(Path.Combine(ae.Output!, "latent.png"))); // the 2-D plot is for 2-D codes alone

        string[] lines = File.ReadAllLines(printed.Groups[6].Value);
        Assert.Equal("label,tsne1,tsne2," + string.Join(",", Enumerable.Range(1, dims).Select(c => $"code{c}")), lines[0]);
        Assert.Equal(points + 1, lines.Length);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        int[] labels = rows.Select(r => int.Parse(r[0], CultureInfo.InvariantCulture)).ToArray();
        float[] embedding = rows.SelectMany(r => r[1..3]).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        float[] codes = rows.SelectMany(r => r[3..]).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(labels.Distinct().Count() > 5 && labels.All(l => l is >= 0 and < 10), string.Join(" ", labels));

        double trust = Trustworthiness.Compute(codes, dims, embedding, 2, 10);
        Assert.Equal(printed.Groups[5].Value, trust.ToString("F4", CultureInfo.InvariantCulture));
        Assert.True(trust > 0.8, $"trustworthiness {trust}");
        using var scope = DisposeScope.Enter();
        var p = Tsne.JointProbabilities(Tensor.FromArray(fixture.Device, codes, points, dims));
        double kl = Tsne.KlDivergence(p, Tensor.FromArray(fixture.Device, embedding, points, 2));
        Assert.Equal(printed.Groups[4].Value, kl.ToString("F4", CultureInfo.InvariantCulture));
        var again = Tsne.Run(Tensor.FromArray(fixture.Device, codes, points, dims), new TsneOptions { Seed = 3 });
        Assert.Equal(embedding, again.Embedding);
        Assert.Equal(kl, again.KlDivergence);

        Assert.Equal(1, SampleCommand.Run(ae.Output!, null, 4, 3, null, fixture.Spec.ToString(), log, _errors, tsnePoints: 50));
        Assert.Contains("--tsne-points must be 0 or between 100 and 5000, got 50.", _errors.ToString());
    }
}

using System.Globalization;
using System.Text;
using Engine.Analysis;
using Engine.Devices;
using Engine.IO;

namespace Engine.Cli.Imaging;

/// <summary>
/// <c>sample</c>'s picture of codes wider than two: exact t-SNE (<see cref="Tsne"/>, scikit-learn's
/// defaults: perplexity 30, 1000 iterations, early exaggeration 12) of the test images' codes on the
/// run's device, plotted coloured by class (<c>tsne.png</c>), with its KL divergence and
/// trustworthiness at k = 10, and the codes beside the embedding (<c>tsne.csv</c>, floats written to
/// round trip) so that a peer can embed the same codes and the numbers can be checked.
/// </summary>
internal static class TsnePicture
{
    /// <summary>Neighbours the trustworthiness counts, as the notes report it.</summary>
    public const int Neighbours = 10;

    /// <summary>Fewest and most points <c>--tsne-points</c> takes (P is N x N floats, built in three such buffers).</summary>
    public const int MinPoints = 100, MaxPoints = 5000;

    /// <summary>What a run measured.</summary>
    /// <param name="Points">Codes embedded.</param>
    /// <param name="KlDivergence">KL(P || Q) of the embedding (nats).</param>
    /// <param name="Trustworthiness">T(k = <see cref="Neighbours"/>).</param>
    public sealed record Summary(int Points, double KlDivergence, double Trustworthiness);

    /// <summary>
    /// Embeds <paramref name="codes"/> (<c>[N, dims]</c>) and writes the PNG to <paramref name="pngPath"/>
    /// and the CSV (<c>label, t-SNE x, t-SNE y, code...</c>, one row per point) to <paramref name="csvPath"/>.
    /// </summary>
    public static Summary Write(ComputeDevice device, float[] codes, int dims, int[]? labels, ulong seed, string title,
        IReadOnlyList<string>? classNames, string pngPath, string csvPath)
    {
        var result = Tsne.Run(device, codes, dims, new TsneOptions { Seed = seed });
        double trust = Analysis.Trustworthiness.Compute(codes, dims, result.Embedding, 2, Neighbours);
        var summary = new Summary(result.Points, result.KlDivergence, trust);
        AtomicFile.WriteAllBytes(pngPath, LatentPlot.Render(result.Embedding, labels,
            $"{title}: KL {summary.KlDivergence:F3}, T({Neighbours}) {summary.Trustworthiness:F3}", classNames, ("t-SNE 1", "t-SNE 2")));
        AtomicFile.WriteAllBytes(csvPath, Encoding.UTF8.GetBytes(Csv(codes, dims, labels, result.Embedding)));
        return summary;
    }

    private static string Csv(float[] codes, int dims, int[]? labels, float[] embedding)
    {
        var text = new StringBuilder();
        text.Append("label,tsne1,tsne2");
        for (int c = 0; c < dims; c++)
            text.Append(CultureInfo.InvariantCulture, $",code{c + 1}");
        text.Append('\n');
        for (int i = 0; i < embedding.Length / 2; i++)
        {
            text.Append(labels is null ? "" : labels[i].ToString(CultureInfo.InvariantCulture));
            text.Append(',').Append(embedding[2 * i].ToString("R", CultureInfo.InvariantCulture));
            text.Append(',').Append(embedding[2 * i + 1].ToString("R", CultureInfo.InvariantCulture));
            for (int c = 0; c < dims; c++)
                text.Append(',').Append(codes[i * dims + c].ToString("R", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        return text.ToString();
    }
}

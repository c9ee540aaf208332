using ScottPlot;

namespace Engine.Cli.Imaging;

/// <summary>
/// A 2-D latent space as a PNG (ScottPlot): every test image's code as a point, coloured by its
/// class, as the figures of the notes and of Kingma &amp; Welling show it.
/// </summary>
internal static class LatentPlot
{
    /// <summary>Width and height of the PNG, in pixels.</summary>
    public const int Width = 700, Height = 600;

    /// <summary>The PNG's bytes for codes <c>[N, 2]</c> and their classes (null: one colour); the axes are z₁ and z₂ unless <paramref name="axes"/> names them.</summary>
    public static byte[] Render(ReadOnlySpan<float> codes, int[]? classes, string title, IReadOnlyList<string>? classNames = null, (string X, string Y)? axes = null)
    {
        int n = codes.Length / 2;
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(axes?.X ?? "z₁");
        plot.YLabel(axes?.Y ?? "z₂");
        var palette = new ScottPlot.Palettes.Category10();
        var groups = classes is null ? [0] : classes.Distinct().Order().ToArray();
        foreach (int c in groups)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            for (int i = 0; i < n; i++)
            {
                if (classes is not null && classes[i] != c)
                    continue;
                xs.Add(codes[2 * i]);
                ys.Add(codes[2 * i + 1]);
            }
            var points = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
            points.Color = palette.GetColor(c).WithAlpha(0.7);
            points.MarkerSize = 4;
            if (classes is not null)
                points.LegendText = classNames is not null && c < classNames.Count ? classNames[c] : $"class {c}";
        }
        if (classes is not null)
            plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}

using System.Text.RegularExpressions;
using Engine.Tests.Docs.Guide;
using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Docs;

/// <summary>
/// docs/GUIDE.md's code is the code in <c>Docs/Guide/</c>: every C# block of the guide is, word for
/// word, a <c>#region guide</c> of one of those files (its leading <c>using</c> directives aside), every
/// such region is shown in the guide, and each file has exactly the <c>using</c> directives its blocks
/// show, so a block that lacks one does not build. <see cref="EndToEndGuideTests"/> runs the code.
/// </summary>
[DeviceIndependent("It compares the guide's text with the code files, and a callback's decision with hand-made epochs; EndToEndGuideTests runs the code on the device.")]
public sealed partial class GuideTests
{
    internal static string GuidePath => Path.Combine(ReadmeSnippetTests.RepositoryRoot(), "docs", "GUIDE.md");

    [Fact]
    public void EachCodeBlockOfTheGuideIsARegionOfTheCodeCompiledHere()
    {
        var blocks = ReadmeSnippetTests.CodeBlocks(File.ReadAllText(GuidePath));
        string folder = Path.Combine(ReadmeSnippetTests.RepositoryRoot(), "tests", "Engine.Tests", "Docs", "Guide");
        var files = Directory.GetFiles(folder, "*.cs").Order(StringComparer.Ordinal).Select(path =>
        {
            string source = File.ReadAllText(path).ReplaceLineEndings("\n");
            return (Name: Path.GetFileName(path),
                Usings: UsingDirectives().Matches(source).Select(m => m.Value.TrimEnd('\n')).ToList(),
                Regions: GuideRegion().Matches(source).Select(m => ReadmeSnippetTests.Dedent(m.Groups[1].Value)).ToList());
        }).ToList();
        Assert.NotEmpty(blocks);
        var shownUsings = files.ToDictionary(f => f.Name, _ => new List<string>());
        var shownBodies = new List<string>();
        for (int i = 0; i < blocks.Count; i++)
        {
            var (usings, body) = ReadmeSnippetTests.Split(blocks[i]);
            var home = files.Where(f => f.Regions.Contains(body)).Select(f => f.Name).FirstOrDefault();
            Assert.True(home is not null, $"docs/GUIDE.md's C# block {i + 1} of {blocks.Count} ({Describe(body)}) is no '#region guide' of {folder}: "
                + NearestDifference(body, files.SelectMany(f => f.Regions.Select(r => (f.Name, Region: r)))) + " Change the two together.");
            shownUsings[home].AddRange(usings);
            shownBodies.Add(body);
        }
        foreach (var file in files)
        {
            Assert.True(file.Regions.Count > 0, $"{file.Name} has no '#region guide': the folder holds the guide's code only.");
            foreach (var region in file.Regions)
                Assert.True(shownBodies.Contains(region), $"{file.Name}: the region {Describe(region)} is not shown in docs/GUIDE.md.");
            Assert.True(file.Usings.SequenceEqual(shownUsings[file.Name]),
                $"{file.Name} has the using directives [{string.Join(" ", file.Usings)}] but docs/GUIDE.md shows [{string.Join(" ", shownUsings[file.Name])}] with its blocks.");
        }
    }

    /// <summary>A block by its first line of code (comments skipped): <c>"public sealed class ResidualBlock : Module"</c>.</summary>
    private static string Describe(string code) =>
        $"\"{code.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal)) ?? ""}\"";

    /// <summary>Where the block first differs from the region that matches it longest, line by line.</summary>
    private static string NearestDifference(string block, IEnumerable<(string File, string Region)> regions)
    {
        var lines = block.Split('\n');
        static int Common(string[] a, string[] b) => a.Zip(b).TakeWhile(p => p.First == p.Second).Count();
        var nearest = regions.Select(r => (r.File, Lines: r.Region.Split('\n'))).MaxBy(r => Common(lines, r.Lines));
        if (nearest.File is null)
            return "the folder has no regions.";
        int at = Common(lines, nearest.Lines);
        string Line(string[] of) => at < of.Length ? $"\"{of[at].Trim()}\"" : "(the end)";
        return $"nearest is {nearest.File}, which differs at line {at + 1}: the guide has {Line(lines)}, the code {Line(nearest.Lines)}.";
    }

    /// <summary>The state-dict keys docs/GUIDE.md lists: the words of its text block that mentions <c>num_batches_tracked</c>.</summary>
    internal static List<string> DocumentedKeys()
    {
        var block = TextBlock().Matches(File.ReadAllText(GuidePath).ReplaceLineEndings("\n")).Select(m => m.Groups[1].Value)
            .Single(b => b.Contains("num_batches_tracked", StringComparison.Ordinal));
        return block.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    [Theory]
    [InlineData(true, 0.59, 0.6, false)]   // accuracy-like: stops at or above the target
    [InlineData(true, 0.6, 0.6, true)]
    [InlineData(false, 0.31, 0.3, false)]  // loss-like: stops at or below it
    [InlineData(false, 0.3, 0.3, true)]
    public void TheGuidesCallbackStopsTheRunWhenTheMetricReachesItsTarget(bool higherIsBetter, double metric, double target, bool stops)
    {
        var record = new EpochRecord(3, 60, 0.75, metric, 1e-3f, 1.5);
        var state = new CheckpointInfo
        {
            Task = "smoothed-classification", Options = new TrainingOptions(), Metric = "m", HigherIsBetter = higherIsBetter,
            StepsPerEpoch = 20, Epoch = 3, EpochLog = [record],
        };
        var output = new StringWriter();
        var withTarget = new EpochHistory(output, target);
        var withoutTarget = new EpochHistory(TextWriter.Null);
        var end = new EpochEnd(record, new Evaluation(metric, "m 0.5", "m"), isBest: true, state);
        var endWithoutTarget = new EpochEnd(record, new Evaluation(metric, "m 0.5", "m"), isBest: true, state);

        withTarget.OnEpochEnd(end);
        withoutTarget.OnEpochEnd(endWithoutTarget);

        Assert.Equal(stops, end.StopRequested);
        Assert.False(endWithoutTarget.StopRequested);
        Assert.Equal([(3, 0.75, metric, 1e-3f)], withTarget.Epochs);
        Assert.Equal("epoch 3: loss 0.7500, lr 0.001, m 0.5", output.ToString().TrimEnd());
    }

    [GeneratedRegex(@"^using [A-Za-z.]+;\n", RegexOptions.Multiline)]
    private static partial Regex UsingDirectives();

    [GeneratedRegex(@"```text\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex TextBlock();

    [GeneratedRegex(@"#region guide\n(.*?)\n *#endregion", RegexOptions.Singleline)]
    private static partial Regex GuideRegion();
}

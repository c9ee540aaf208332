using System.Text.RegularExpressions;
using Engine.Tests.Docs;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Architecture;

/// <summary>
/// An op's story starts at its family's folder: <c>src/Engine/Ops/&lt;Family&gt;/README.md</c> links
/// every file of the family, from the kernels in <c>src/Kernels/&lt;Family&gt;</c> through the spec,
/// op and host path beside it to the functional calls, graph nodes and modules elsewhere. Graph
/// nodes and modules cannot live in the op's folder (the graph runs the ops, so Ops would use Graph
/// and Graph Ops: a cycle <see cref="NamespaceCycleTests"/> refuses), so the index is the one place
/// that gathers them, and these tests keep it whole: a new file of an op fails here until its
/// family links it.
/// </summary>
[DeviceIndependent("It reads the source tree's files; nothing runs on the device.")]
public sealed partial class OpFamilyIndexTests
{
    private static readonly string Root = ReadmeSnippetTests.RepositoryRoot();
    private static readonly string OpsFolder = Path.Combine(Root, "src", "Engine", "Ops");

    // Files of the layers above the ops that are no op's: the container module.
    private static readonly string[] NotAnOp = ["src/Engine/Modules/Layers/Sequential.cs"];

    public static TheoryData<string> Families() => [.. FamilyNames()];

    private static IEnumerable<string> FamilyNames() => Directory.GetDirectories(OpsFolder).Select(folder => Path.GetFileName(folder)).Order();

    [Theory]
    [MemberData(nameof(Families))]
    public void AFamilysIndexLinksEveryFileOfItsFolderAndItsKernelsAndEveryLinkResolves(string family)
    {
        string folder = Path.Combine(OpsFolder, family);
        string index = Path.Combine(folder, "README.md");
        Assert.True(File.Exists(index), $"src/Engine/Ops/{family} has no README.md indexing its files.");
        var links = Links(index);
        var broken = links.Where(link => !File.Exists(link)).Select(Relative).ToList();
        Assert.True(broken.Count == 0, $"src/Engine/Ops/{family}/README.md links files that do not exist: {string.Join(", ", broken)}");

        string kernels = Path.Combine(Root, "src", "Kernels", family);
        var own = Directory.GetFiles(folder, "*.cs")
            .Concat(Directory.Exists(kernels) ? Directory.GetFiles(kernels, "*.cs", SearchOption.AllDirectories) : []);
        var missing = own.Where(file => !links.Contains(file)).Select(Relative).Order().ToList();
        Assert.True(missing.Count == 0, $"src/Engine/Ops/{family}/README.md does not link: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EveryGraphNodeModuleAndFunctionalFileBelongsToAFamily()
    {
        var linked = FamilyNames().SelectMany(family => Links(Path.Combine(OpsFolder, family, "README.md"))).ToHashSet();
        string Source(params string[] parts) => Path.Combine([Root, "src", "Engine", .. parts]);
        var layers = Directory.GetFiles(Source("Graph", "Nodes"), "*.cs")
            .Concat(Directory.GetFiles(Source("Modules", "Layers"), "*.cs"))
            .Concat(Directory.GetFiles(Source("Functional"), "Functional.*.cs"));
        var orphans = layers.Select(Relative).Where(file => !NotAnOp.Contains(file) && !linked.Contains(Path.Combine(Root, file))).Order().ToList();
        Assert.True(orphans.Count == 0, $"No op family's README.md (src/Engine/Ops/*/README.md) links: {string.Join(", ", orphans)}");
    }

    [Fact]
    public void TheLinkReaderFindsRelativeLinksAndIgnoresOthers()
    {
        string file = Path.Combine(Path.GetTempPath(), $"engine-index-{Guid.NewGuid():N}.md");
        File.WriteAllText(file, "- [a](a/B.cs): x\n- [web](https://example.org/C.cs) [anchor](#d) [e](../E.cs)\n");
        try
        {
            string folder = Path.GetDirectoryName(file)!;
            string[] expected = [Path.Combine(folder, "a", "B.cs"), Path.GetFullPath(Path.Combine(folder, "..", "E.cs"))];
            Assert.Equal(expected.Order(), Links(file).Order());
        }
        finally
        {
            File.Delete(file);
        }
    }

    // The full paths of a markdown file's relative links (not web addresses or anchors).
    private static HashSet<string> Links(string markdown)
    {
        string folder = Path.GetDirectoryName(markdown)!;
        return [.. LinkPattern().Matches(File.ReadAllText(markdown))
            .Select(m => m.Groups[1].Value)
            .Where(target => !target.Contains("://", StringComparison.Ordinal) && !target.StartsWith('#'))
            .Select(target => Path.GetFullPath(Path.Combine(folder, target.Split('#')[0])))];
    }

    private static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex LinkPattern();
}

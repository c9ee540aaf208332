using System.Text.RegularExpressions;

namespace Engine.Tests.Docs;

/// <summary>
/// Every C# snippet of the README is compiled by this project: <c>ReadmeSnippetN.cs</c> holds the
/// N-th snippet word for word between <c>#region readme</c> and <c>#endregion</c>, with exactly the
/// snippet's <c>using</c> directives and no others (so a snippet that lacks one does not build).
/// This test keeps the two equal. (They are compiled, not run: they open the default or an OpenCL
/// device and read runs and data a reader has.)
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    [Fact]
    public void EachReadmeSnippetIsTheCodeCompiledHere()
    {
        var blocks = CodeBlocks(File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")));
        string folder = Path.Combine(RepositoryRoot(), "tests", "Engine.Tests", "Docs");
        Assert.Equal(blocks.Count, Directory.GetFiles(folder, "ReadmeSnippet?.cs").Length);
        for (int i = 0; i < blocks.Count; i++)
        {
            string source = File.ReadAllText(Path.Combine(folder, $"ReadmeSnippet{i + 1}.cs")).ReplaceLineEndings("\n");
            var (usings, body) = Split(blocks[i]);
            Assert.Equal(usings, UsingDirectives().Matches(source).Select(m => m.Value.TrimEnd('\n')).ToList());
            Assert.Equal(body, Dedent(Region().Match(source).Groups[1].Value));
        }
    }

    /// <summary>The folder holding Engine.sln, found from the test's own folder upwards.</summary>
    internal static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "Engine.sln")))
                return folder.FullName;
        throw new DirectoryNotFoundException($"No Engine.sln above '{AppContext.BaseDirectory}'.");
    }

    /// <summary>The bodies of the ```csharp blocks, in order.</summary>
    internal static List<string> CodeBlocks(string markdown) =>
        CSharpBlock().Matches(markdown.ReplaceLineEndings("\n")).Select(m => m.Groups[1].Value.TrimEnd('\n')).ToList();

    /// <summary>A snippet's leading using directives, and the rest.</summary>
    internal static (List<string> Usings, string Body) Split(string block)
    {
        var lines = block.Split('\n').ToList();
        var usings = new List<string>();
        while (lines.Count > 0 && (UsingDirectives().IsMatch(lines[0] + "\n") || usings.Count > 0 && lines[0].Length == 0))
        {
            if (lines[0].Length > 0)
                usings.Add(lines[0]);
            lines.RemoveAt(0);
        }
        return (usings, string.Join('\n', lines));
    }

    /// <summary>The lines without the indentation they all share, and without blank lines at either end.</summary>
    internal static string Dedent(string text)
    {
        var lines = text.Split('\n').SkipWhile(l => l.Trim().Length == 0).Reverse().SkipWhile(l => l.Trim().Length == 0).Reverse().ToList();
        int indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^using [A-Za-z.]+;\n", RegexOptions.Multiline)]
    private static partial Regex UsingDirectives();

    [GeneratedRegex(@"#region readme\n(.*?)\n *#endregion", RegexOptions.Singleline)]
    private static partial Regex Region();
}

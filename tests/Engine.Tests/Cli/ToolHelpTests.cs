using Engine.Cli;

namespace Engine.Tests.Cli;

/// <summary>The help names the command a user types (the tool's <c>ilgpu-engine</c>), not the assembly.</summary>
public sealed class ToolHelpTests
{
    [Fact]
    public void HelpIsNamedAfterTheTool()
    {
        var output = new StringWriter();
        Assert.Equal(0, EngineCli.Run(["--help"], output, TextWriter.Null));
        Assert.Contains("Usage:\n  ilgpu-engine [command] [options]", output.ToString().ReplaceLineEndings("\n"));
        Assert.DoesNotContain("Engine.Cli", output.ToString());

        var train = new StringWriter();
        Assert.Equal(0, EngineCli.Run(["train", "--help"], train, TextWriter.Null));
        Assert.Contains("  ilgpu-engine train ", train.ToString());
    }

    [Fact]
    public void ParseErrorsPointAtTheHelp()
    {
        var errors = new StringWriter();
        Assert.Equal(2, EngineCli.Run(["predict", "--no-such-option"], TextWriter.Null, errors));
        Assert.Contains("--no-such-option", errors.ToString());
        Assert.Contains("(see 'predict --help')", errors.ToString());
    }
}

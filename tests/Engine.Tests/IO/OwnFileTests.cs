using Engine.Tests.Infrastructure;
using System.Diagnostics;
using Engine.IO;

namespace Engine.Tests.IO;

/// <summary>Files written in place (a lock, an appended log) are the engine's own: never reached through a link, never a pipe or device, never a file with other names.</summary>
[DeviceIndependent("refusing links, pipes and hard links is host file code")]
public sealed class OwnFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-own-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    [Fact]
    public void ALockThroughALinkCreatesNothingAtTheLinksTarget()
    {
        File.CreateSymbolicLink(PathOf(".lock"), PathOf("elsewhere"));
        var error = Assert.Throws<IOException>(() => OwnFile.Lock(PathOf(".lock")));
        Assert.Contains("is a symbolic link", error.Message);
        Assert.False(File.Exists(PathOf("elsewhere")));
    }

    [Fact]
    public void ALockIsExclusiveAndSaysSoByItsErrorCode()
    {
        using var first = OwnFile.Lock(PathOf(".lock"));
        var error = Assert.Throws<IOException>(() => OwnFile.Lock(PathOf(".lock")));
        Assert.Equal(11, error.HResult); // EWOULDBLOCK: RunFolder reports it as a folder in use
    }

    [Fact]
    public void APipeIsNeitherLockedNorAppendedToAndTheOpenDoesNotBlock()
    {
        using (var mkfifo = Process.Start("mkfifo", [PathOf("pipe")])!)
            mkfifo.WaitForExit();
        var clock = Stopwatch.StartNew();
        Assert.Contains("is a named pipe", Assert.Throws<IOException>(() => OwnFile.Lock(PathOf("pipe"))).Message);
        Assert.Contains("is a named pipe", Assert.Throws<IOException>(() => OwnFile.OpenAppend(PathOf("pipe"))).Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5)); // a blocking open of a pipe without a reader never returns
    }

    [Fact]
    public void AnAppendRefusesAFileWithOtherNamesAndLeavesItAlone()
    {
        File.WriteAllText(PathOf("mine.csv"), "precious\n");
        using (var ln = Process.Start("ln", [PathOf("mine.csv"), PathOf("steps.csv")])!)
            ln.WaitForExit();
        Assert.Contains("has 2 names", Assert.Throws<IOException>(() => OwnFile.OpenAppend(PathOf("steps.csv"))).Message);
        Assert.Equal("precious\n", File.ReadAllText(PathOf("mine.csv")));
        using (var file = OwnFile.OpenAppend(PathOf("own.csv")))
            file.Write("a\n"u8);
        using (var file = OwnFile.OpenAppend(PathOf("own.csv")))
            file.Write("b\n"u8);
        Assert.Equal("a\nb\n", File.ReadAllText(PathOf("own.csv")));
    }

    [Fact]
    public void IdentitiesSeeThroughLinksHardLinksAndOtherSpellings()
    {
        File.WriteAllText(PathOf("a"), "x");
        File.CreateSymbolicLink(PathOf("soft"), PathOf("a"));
        using (var ln = Process.Start("ln", [PathOf("a"), PathOf("hard")])!)
            ln.WaitForExit();
        Directory.CreateDirectory(PathOf("sub"));
        var a = FileIdentity.Of(PathOf("a"))!.Value;
        Assert.True(a.SameFileAs(FileIdentity.Of(PathOf("soft"))!.Value));
        Assert.True(a.SameFileAs(FileIdentity.Of(PathOf("hard"))!.Value));
        Assert.True(a.SameFileAs(FileIdentity.Of(Path.Combine(_folder, "sub", "..", "a"))!.Value));
        File.WriteAllText(PathOf("b"), "x");
        Assert.False(a.SameFileAs(FileIdentity.Of(PathOf("b"))!.Value));
        Assert.Null(FileIdentity.Of(PathOf("absent")));
    }
}

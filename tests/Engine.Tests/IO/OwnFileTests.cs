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

    [Fact]
    public void ReleasingALockRemovesItsFileAndTheNextLockProtectsAgain()
    {
        var first = OwnFile.Lock(PathOf(".lock"));
        Assert.Equal(11, Assert.Throws<IOException>(() => OwnFile.Lock(PathOf(".lock"))).HResult);
        first.Dispose();
        Assert.False(File.Exists(PathOf(".lock")));
        using var second = OwnFile.Lock(PathOf(".lock"));
        Assert.True(File.Exists(PathOf(".lock")));
        Assert.Equal(11, Assert.Throws<IOException>(() => OwnFile.Lock(PathOf(".lock"))).HResult);
    }

    [Fact]
    public void AReleaseLeavesAFileALaterLockerMadeAlone()
    {
        // A user removed the lock by hand while it was held, and another locker made a new one:
        // the first holder's release must not remove the second's.
        var first = OwnFile.Lock(PathOf(".lock"));
        File.Delete(PathOf(".lock"));
        using var second = OwnFile.Lock(PathOf(".lock"));
        first.Dispose();
        Assert.True(File.Exists(PathOf(".lock")));
        Assert.Equal(11, Assert.Throws<IOException>(() => OwnFile.Lock(PathOf(".lock"))).HResult);
    }

    [Fact]
    public void ALockTakenOnAFileRemovedMeanwhileIsNotHeld()
    {
        // The race a release opens: another locker opened the file just before the holder removed
        // it on release, and locks it just after. That lock is on a file without a name: it must
        // not count (Lock then opens the new file at the path), or two processes would both hold.
        var holder = OwnFile.Lock(PathOf(".lock"));
        var opened = OwnFile.OpenToLock(PathOf(".lock"));
        holder.Dispose();
        Assert.Null(OwnFile.LockOpened(opened, PathOf(".lock")));
        Assert.True(opened.IsClosed);
        using var next = OwnFile.Lock(PathOf(".lock"));
        Assert.Equal(11, Assert.Throws<IOException>(() => OwnFile.Lock(PathOf(".lock"))).HResult);
    }
}

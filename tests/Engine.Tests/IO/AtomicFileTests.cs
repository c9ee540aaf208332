using Engine.Tests.Infrastructure;
using System.Diagnostics;
using Engine.IO;

namespace Engine.Tests.IO;

/// <summary>Writes replace only regular files, all at once or not at all; temporaries of a killed writer are recognised and removed.</summary>
[DeviceIndependent("atomic writes are host file code")]
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-atomic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    [Fact]
    public void PathKindsTellFilesFromFoldersDevicesPipesAndLinks()
    {
        File.WriteAllBytes(PathOf("file"), [1]);
        File.CreateSymbolicLink(PathOf("link"), PathOf("file"));
        using (var mkfifo = Process.Start("mkfifo", [PathOf("pipe")])!)
            mkfifo.WaitForExit();
        Assert.Equal(PathKind.RegularFile, PathKinds.Of(PathOf("file")));
        Assert.Equal(PathKind.Directory, PathKinds.Of(_folder));
        Assert.Equal(PathKind.SymbolicLink, PathKinds.Of(PathOf("link")));
        Assert.Equal(PathKind.Fifo, PathKinds.Of(PathOf("pipe")));
        Assert.Equal(PathKind.CharacterDevice, PathKinds.Of("/dev/null"));
        Assert.Equal(PathKind.Missing, PathKinds.Of(PathOf("absent")));
        Assert.Equal(PathKind.Missing, PathKinds.Of(Path.Combine(PathOf("file"), "under-a-file")));
    }

    [Fact]
    public void OnlyRegularFilesAreReplaced()
    {
        File.WriteAllBytes(PathOf("file"), [1]);
        File.CreateSymbolicLink(PathOf("link"), PathOf("file"));
        AtomicFile.WriteAllBytes(PathOf("file"), [2, 3]);
        Assert.Equal([2, 3], File.ReadAllBytes(PathOf("file")));
        Assert.Contains("is a directory, not a regular file", Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes(_folder, [1])).Message);
        Assert.Contains("is a character device", Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes("/dev/null", [1])).Message);
        Assert.Contains("is a symbolic link", Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes(PathOf("link"), [1])).Message);
        Assert.Equal(PathKind.CharacterDevice, PathKinds.Of("/dev/null"));
        Assert.Equal([2, 3], File.ReadAllBytes(PathOf("file"))); // through the link, nothing changed
        Assert.DoesNotContain(Directory.EnumerateFiles(_folder), AtomicFile.IsTemporary);
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporary()
    {
        AtomicFile.WriteAllBytes(PathOf("data"), [1, 2, 3]);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(PathOf("data"), stream =>
        {
            stream.Write(new byte[100_000]);
            throw new InvalidOperationException("the writer failed half-way");
        }));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(PathOf("data")));
        Assert.Equal(["data"], Directory.EnumerateFiles(_folder).Select(Path.GetFileName));

        using (var abandoned = AtomicFile.Begin(PathOf("data")))
            abandoned.Stream.Write(new byte[10]); // disposed without Commit
        Assert.Equal([1, 2, 3], File.ReadAllBytes(PathOf("data")));
        Assert.Equal(["data"], Directory.EnumerateFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void StaleTemporariesAreRecognisedAndOnlyTheyAreRemoved()
    {
        string stale = PathOf($".last.safetensors.{Guid.NewGuid():N}.tmp");
        string otherTarget = PathOf($".samples.png.{Guid.NewGuid():N}.tmp"); // another writer's, maybe still at work
        File.WriteAllBytes(stale, [1]);
        File.WriteAllBytes(otherTarget, [1]);
        File.WriteAllBytes(PathOf(".hidden.tmp"), [1]);   // not one of ours: no 32-hex-digit tag
        File.WriteAllBytes(PathOf("notes.tmp"), [1]);
        Assert.True(AtomicFile.IsTemporary(stale) && AtomicFile.IsTemporary(otherTarget));
        Assert.False(AtomicFile.IsTemporary(PathOf(".hidden.tmp")));
        Assert.Equal(1, AtomicFile.RemoveStaleTemporaries(_folder, "last.safetensors", "best.safetensors"));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(otherTarget) && File.Exists(PathOf(".hidden.tmp")) && File.Exists(PathOf("notes.tmp")));
    }

    [Fact]
    public void ACommitRemovesTheTemporariesOfKilledWritersButNotOfLiveOnes()
    {
        // A killed writer's temporary is unlocked (the system dropped its lock); a live writer holds its own.
        string stale = PathOf($".y.npy.{Guid.NewGuid():N}.tmp");
        string live = PathOf($".y.npy.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(stale, [1]);
        File.WriteAllBytes(live, [2]);
        using (new FileStream(live, FileMode.Open, FileAccess.Write, FileShare.None))
            AtomicFile.WriteAllBytes(PathOf("y.npy"), [3]);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(live));
        Assert.Equal([3], File.ReadAllBytes(PathOf("y.npy")));
    }
}

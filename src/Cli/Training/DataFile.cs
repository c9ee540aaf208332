using System.Security.Cryptography;
using Engine.IO;

namespace Engine.Cli.Training;

/// <summary>
/// A file a run was trained from, as <c>train</c> records it: its full path, size and SHA-256, so
/// that a resume can say which file changed (the library's <see cref="Engine.Training.DataFingerprint"/>
/// proves the data are the same, this names what is not).
/// </summary>
/// <param name="Path">The full path.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Sha256">Its SHA-256, hex.</param>
internal sealed record DataFile(string Path, long Bytes, string Sha256)
{
    /// <summary>The record of a file as it is now.</summary>
    public static DataFile Of(string path)
    {
        using var stream = RegularFile.OpenRead(path);
        return new DataFile(System.IO.Path.GetFullPath(path), stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    /// <summary>How the file differs now, as the message of a refused resume; null when it is the same.</summary>
    public string? Change()
    {
        if (!File.Exists(Path))
            return $"--resume: the run was trained on '{Path}' ({Bytes:N0} bytes), which is gone: put it back to resume the run.";
        var now = Of(Path);
        return now.Bytes != Bytes ? $"--resume: '{Path}' has changed since the run began ({Bytes:N0} bytes then, {now.Bytes:N0} now): resuming on other data would make it another run."
            : now.Sha256 != Sha256 ? $"--resume: '{Path}' has changed since the run began (the same {Bytes:N0} bytes, but SHA-256 {Sha256[..12]}... then and {now.Sha256[..12]}... now): resuming on other data would make it another run."
            : null;
    }
}

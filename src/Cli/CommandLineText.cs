using System.Text;

namespace Engine.Cli;

/// <summary>
/// Arguments whose bytes are not UTF-8. .NET decodes each argument as UTF-8 and puts U+FFFD where
/// a byte does not decode, so a file name such as <c>$'\xff.npy'</c> would silently become another
/// name (<c>\uFFFD.npy</c>), read from or written to a file the user never named. Such an argument
/// is refused by the option it belongs to. Where the raw bytes can be seen (Linux:
/// <c>/proc/self/cmdline</c>), a name that truly holds U+FFFD, valid UTF-8, is let through.
/// </summary>
internal static class CommandLineText
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The line to print for the first argument that is not UTF-8, or null.</summary>
    public static string? Problem(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        byte[][]? raw = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].Contains('\uFFFD', StringComparison.Ordinal))
                continue;
            raw ??= RawArguments(args.Length);
            if (raw is not null && Decodes(raw[i], args[i]))
                continue;
            string what = i > 0 && args[i - 1].StartsWith('-') ? $"{args[i - 1]} '{args[i]}'" : $"argument {i + 1} '{args[i]}'";
            return $"{what} holds bytes that are not UTF-8 (shown as \uFFFD); the engine would read or write a file of another name. Rename the file, or name it through a link whose name is UTF-8.";
        }
        return null;
    }

    /// <summary>Whether <paramref name="bytes"/> are valid UTF-8 that spell <paramref name="text"/> (a caller's own arguments, not this process's, do not).</summary>
    private static bool Decodes(byte[] bytes, string text)
    {
        try
        {
            return Strict.GetString(bytes) == text;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>The last <paramref name="count"/> arguments of this process as bytes, or null where they cannot be read.</summary>
    private static byte[][]? RawArguments(int count)
    {
        if (!OperatingSystem.IsLinux())
            return null;
        try
        {
            byte[] all = File.ReadAllBytes("/proc/self/cmdline");
            var parts = new List<byte[]>();
            int start = 0;
            for (int i = 0; i < all.Length; i++)
            {
                if (all[i] != 0)
                    continue;
                parts.Add(all[start..i]);
                start = i + 1;
            }
            return parts.Count >= count ? parts.Skip(parts.Count - count).ToArray() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

using System.Text.RegularExpressions;
using Engine.Checkpoints;
using Engine.Cli.Training;
using Engine.Training;

namespace Engine.Tests.Infrastructure;

/// <summary>What tests compare between runs: checkpoint tensors byte for byte, printed output without its timings.</summary>
internal static partial class RunFiles
{
    /// <summary>A PNG's width and height from its IHDR chunk (fails unless the file is a PNG).</summary>
    public static (int Width, int Height) PngSize(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        return (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    /// <summary>Every tensor of a checkpoint (model and optimiser) as raw bytes.</summary>
    public static Dictionary<string, byte[]> Tensors(string checkpoint)
    {
        using var reader = SafeTensorsReader.Open(checkpoint);
        return reader.Tensors.ToDictionary(t => t.Name, t => reader.Read(t.Name).Data);
    }

    /// <summary>A checkpoint's float tensors of the model (its parameters and running statistics; the optimiser's state left out), by name.</summary>
    public static Dictionary<string, float[]> ModelFloats(string checkpoint) =>
        SafeTensorsFile.Read(checkpoint).Tensors
            .Where(t => t.Value.Type == SafeTensorType.F32 && !t.Key.StartsWith(TrainingCheckpoint.OptimizerPrefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Key, t => t.Value.ToFloats());

    /// <summary>Fails unless two checkpoints hold the same tensors with the same bits.</summary>
    public static void AssertSameTensors(string expected, string actual)
    {
        var a = Tensors(expected);
        var b = Tensors(actual);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        var differing = a.Keys.Where(k => !a[k].AsSpan().SequenceEqual(b[k])).ToList();
        Assert.True(differing.Count == 0, $"{differing.Count} of {a.Count} tensors differ, e.g. {string.Join(", ", differing.Take(5))}");
    }

    /// <summary>
    /// Fails unless two run folders hold the same logs: <c>steps.csv</c> byte for byte, and
    /// <c>epochs.csv</c> but for its last column (seconds of wall time).
    /// </summary>
    public static void AssertSameLogs(string expectedFolder, string actualFolder)
    {
        Assert.Equal(File.ReadAllText(Path.Combine(expectedFolder, RunLog.StepsFile)), File.ReadAllText(Path.Combine(actualFolder, RunLog.StepsFile)));
        static string[] WithoutSeconds(string folder) =>
            File.ReadAllLines(Path.Combine(folder, RunLog.EpochsFile)).Select(line => line[..line.LastIndexOf(',')]).ToArray();
        Assert.Equal(WithoutSeconds(expectedFolder), WithoutSeconds(actualFolder));
    }

    /// <summary>Output with what varies from run to run removed: speeds, times, and the given folder names.</summary>
    public static string WithoutTimings(string output, params string[] folders)
    {
        foreach (string folder in folders)
            output = output.Replace(folder, "<run>", StringComparison.Ordinal);
        output = Speed().Replace(output, "<n> img/s");
        output = Clock().Replace(output, "<t>");
        return Seconds().Replace(output, "; <s> s;");
    }

    [GeneratedRegex(@"\d+ img/s")]
    private static partial Regex Speed();

    [GeneratedRegex(@"\d+:\d\d")]
    private static partial Regex Clock();

    [GeneratedRegex(@"; \d+ s;")]
    private static partial Regex Seconds();
}

using System.Buffers.Binary;
using Engine.Checkpoints;
using Engine.Models;
using Engine.Modules.Layers;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Checkpoints;

/// <summary>
/// What a state-dict load reports (PyTorch's missing and unexpected keys, Hugging Face's mismatched
/// sizes), F16 and BF16 widened to float32 exactly, and a classifier head of another class count
/// skipped for fine-tuning.
/// </summary>
[Collection(DeviceCollection.Name)]
public sealed class LoadReportTests(DeviceFixture fixture) : IDisposable
{
    private readonly Engine.Devices.ComputeDevice _device = fixture.Device;
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-load-report-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // Every class of half: zeros, the smallest and largest subnormals, the smallest normal, ones,
    // the largest finite, infinities and quiet NaNs with a payload and a sign.
    private static readonly ushort[] HalfBits =
        [0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0xC000, 0x3555, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x7E01, 0xFE00];

    private static readonly ushort[] BFloatBits =
        [0x0000, 0x8000, 0x0001, 0x807F, 0x007F, 0x0080, 0x3F80, 0xBF80, 0x4049, 0x7F7F, 0xFF7F, 0x7F80, 0xFF80, 0x7FC0, 0x7FC1, 0xFFC0];

    /// <summary>
    /// The float32 bits a half (5 exponent bits, 10 mantissa bits) or a bfloat16 (8 and 7) stands
    /// for, from the value in float64 (sign x mantissa x 2^exponent) rather than bit shifting; a NaN
    /// keeps its sign and payload in the top of the float's mantissa, as PyTorch's conversion does.
    /// </summary>
    private static uint ExpectedBits(ushort bits, int exponentBits, int mantissaBits)
    {
        int bias = (1 << (exponentBits - 1)) - 1, maxExponent = (1 << exponentBits) - 1;
        int sign = bits >> 15, exponent = (bits >> mantissaBits) & maxExponent, mantissa = bits & ((1 << mantissaBits) - 1);
        if (exponent == maxExponent && mantissa != 0)
            return (uint)sign << 31 | 0x7F800000u | (uint)mantissa << (23 - mantissaBits);
        double value = exponent == maxExponent ? double.PositiveInfinity
            : exponent == 0 ? mantissa * Math.Pow(2, 1 - bias - mantissaBits)
            : ((1 << mantissaBits) + mantissa) * Math.Pow(2, exponent - bias - mantissaBits);
        return BitConverter.SingleToUInt32Bits((float)(sign == 1 ? -value : value));
    }

    private static byte[] Bytes(ushort[] bits)
    {
        var bytes = new byte[bits.Length * 2];
        for (int i = 0; i < bits.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), bits[i]);
        return bytes;
    }

    [Theory]
    [InlineData(SafeTensorType.F16)]
    [InlineData(SafeTensorType.BF16)]
    public void HalfAndBFloat16WidenToFloat32ExactlyIncludingSubnormalsInfinitiesAndNaNs(SafeTensorType type)
    {
        var bits = type == SafeTensorType.F16 ? HalfBits : BFloatBits;
        uint[] expected = bits.Select(b => type == SafeTensorType.F16 ? ExpectedBits(b, 5, 10) : ExpectedBits(b, 8, 7)).ToArray();
        var tensor = new SafeTensor("w", type, [4, bits.Length / 4], Bytes(bits));
        Assert.Equal(expected, tensor.ToFloats().Select(BitConverter.SingleToUInt32Bits));

        string path = Path.Combine(_folder, $"{type}.safetensors");
        SafeTensorsFile.Write(path, [tensor]);
        using var reader = SafeTensorsReader.Open(path);
        Assert.Equal(type, reader.Info("w").Type);
        Assert.Equal(expected, reader.ReadFloats("w").Select(BitConverter.SingleToUInt32Bits));
    }

    [Fact]
    public void AHalfFileLoadsWidenedAndANonFiniteHalfIsRefused()
    {
        using var model = new Linear(3, 2);
        model.Initialize(_device, seed: 3);
        ushort[] weight = [0x3C00, 0xC000, 0x0001, 0x3555, 0x7BFF, 0x8400], bias = [0x3F80, 0x0080];
        var tensors = new Dictionary<string, SafeTensor>
        {
            ["weight"] = new("weight", SafeTensorType.F16, [2, 3], Bytes(weight)),
            ["bias"] = new("bias", SafeTensorType.BF16, [2], Bytes(bias)),
        };
        string path = Path.Combine(_folder, "half.safetensors");
        SafeTensorsFile.Write(path, tensors.Values);
        var report = StateDict.Load(model, path);
        Assert.Equal(weight.Select(b => ExpectedBits(b, 5, 10)), model.Weight.Value.ToArray().Select(BitConverter.SingleToUInt32Bits));
        Assert.Equal(bias.Select(b => ExpectedBits(b, 8, 7)), model.Bias!.Value.ToArray().Select(BitConverter.SingleToUInt32Bits));
        Assert.Equal([("weight", SafeTensorType.F16), ("bias", SafeTensorType.BF16)], report.WidenedKeys.OrderByDescending(k => k.Name));
        Assert.True(report.IsComplete);
        Assert.Equal("loaded 2; missing none; unexpected none; mismatched none; widened 1 from F16, 1 from BF16", report.ToString());

        tensors["weight"] = new("weight", SafeTensorType.F16, [2, 3], Bytes([0x3C00, 0x7C00, 0, 0, 0, 0]));
        var before = model.Weight.Value.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => StateDict.Load(model, tensors));
        Assert.Contains("weight holds 1 non-finite value(s), the first (Infinity) at flat index 1", error.Message);
        Assert.Equal(before, model.Weight.Value.ToArray());
    }

    [Fact]
    public void ANonStrictLoadReportsMissingAndUnexpectedKeysAsPyTorchDoes()
    {
        using var model = new Sequential(new Linear(2, 3), new Linear(3, 1));
        model.Initialize(_device, seed: 5);
        using var source = new Sequential(new Linear(2, 3), new Linear(3, 1));
        source.Initialize(_device, seed: 6);
        var tensors = StateDict.Collect(source).Where(t => t.Name != "1.bias").ToDictionary(t => t.Name);
        tensors["head.weight"] = SafeTensor.FromFloats("head.weight", [1f], 1);
        tensors["__optimizer__.step"] = SafeTensor.FromLongs("__optimizer__.step", [1]);
        float[] keptBias = ((Linear)model.Child("1")).Bias!.Value.ToArray();

        var report = StateDict.Load(model, tensors, strict: false);
        Assert.Equal(["1.bias"], report.MissingKeys);
        Assert.Equal(["head.weight"], report.UnexpectedKeys);
        Assert.Empty(report.MismatchedKeys);
        Assert.Equal(3, report.LoadedCount);
        Assert.False(report.IsComplete);
        Assert.Equal(((Linear)source.Child("1")).Weight.Value.ToArray(), ((Linear)model.Child("1")).Weight.Value.ToArray());
        Assert.Equal(keptBias, ((Linear)model.Child("1")).Bias!.Value.ToArray());

        var strict = Assert.Throws<InvalidDataException>(() => StateDict.Load(model, tensors));
        Assert.Contains("missing 1.bias", strict.Message);
        Assert.Contains("unexpected head.weight", strict.Message);
    }

    [Fact]
    public void ATorchvisionResNetHeadOfAnotherClassCountIsSkippedWhenAsked()
    {
        // A torchvision-named ResNet-18 (narrow, to stay small) trained for 10 classes, fine-tuned for 4.
        using var pretrained = ResNet.ResNet18(classes: 10, inChannels: 3, smallStem: true, width: 8);
        pretrained.Initialize(_device, seed: 11);
        string path = Path.Combine(_folder, "resnet18.safetensors");
        StateDict.Save(pretrained, path, new Dictionary<string, string> { ["format"] = "pt" });
        using var model = ResNet.ResNet18(classes: 4, inChannels: 3, smallStem: true, width: 8);
        model.Initialize(_device, seed: 12);
        float[] head = ((Linear)model.Child("fc")).Weight.Value.ToArray();
        float[] stem = model.NamedState().First(s => s.Name == "conv1.weight").State.Value.ToArray();

        var refused = Assert.Throws<InvalidDataException>(() => StateDict.Load(model, path));
        Assert.Contains("fc.weight has shape [10, 64] in the file but [4, 64] in the model (a head for another class count? load with ignoreMismatchedSizes: true", refused.Message);
        Assert.Contains("fc.bias has shape [10] in the file but [4] in the model", refused.Message);
        Assert.Equal(stem, model.NamedState().First(s => s.Name == "conv1.weight").State.Value.ToArray());

        var report = StateDict.Load(model, path, ignoreMismatchedSizes: true);
        Assert.Equal(["fc.weight: [10, 64] in the file, [4, 64] in the model", "fc.bias: [10] in the file, [4] in the model"],
            report.MismatchedKeys.Select(m => m.ToString()));
        Assert.Empty(report.MissingKeys);
        Assert.Empty(report.UnexpectedKeys);
        int states = model.NamedState().Count(), counters = model.NamedCounters().Count();
        Assert.Equal(states - 2 + counters, report.LoadedCount);
        var loaded = model.NamedState().ToDictionary(s => s.Name, s => s.State.Value.ToArray());
        foreach (var (name, state) in pretrained.NamedState().Where(s => !s.Name.StartsWith("fc.", StringComparison.Ordinal)))
            Assert.Equal(state.Value.ToArray(), loaded[name]);
        Assert.Equal(head, ((Linear)model.Child("fc")).Weight.Value.ToArray());
    }
}

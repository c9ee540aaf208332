using Engine.Data;
using Engine.Ops.Random;
using Engine.Tests.Infrastructure;
using StbImageWriteSharp;

namespace Engine.Tests.Data;

/// <summary>
/// Streaming datasets: <see cref="DatasetLoader"/> gives an in-memory dataset <see cref="DataLoader"/>'s
/// batches, an image folder of PNGs the same tensors as the in-memory images, transforms keyed by
/// (seed, epoch, index) whatever the threads, and a damaged file named in one line.
/// </summary>
[DeviceIndependent("datasets, decoding and transforms run on the host; batches reach a device only through DataLoader's upload, tested in process")]
public sealed class DatasetLoaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-datasets-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static void AssertSameBatches(IEnumerable<Batch> expected, IEnumerable<Batch> actual)
    {
        var a = expected.Select(b => b.Copy()).ToList();
        var b = actual.Select(b => b.Copy()).ToList();
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Count, b[i].Count);
            Assert.Equal(a[i].Indices, b[i].Indices);
            Assert.Equal(a[i].Targets, b[i].Targets);
            Reference.AssertExactly(a[i].Images, b[i].Images, $"batch {i}");
        }
    }

    [Fact]
    public void AnInMemoryDatasetStreamsTheBatchesOfTheDataLoaderAndResumesAtABatch()
    {
        var (images, labels) = Digits.First(100);
        var data = new ImageDataset(images, 100, 1, 8, 8, classes: 10, labels: labels);
        foreach (bool dropLast in new[] { false, true })
        {
            var loader = new DataLoader(data, 16, shuffle: true, seed: 7, dropLast: dropLast);
            var streamed = new DatasetLoader(data, 16, shuffle: true, seed: 7, dropLast: dropLast);
            Assert.Equal(loader.BatchesPerEpoch, streamed.BatchesPerEpoch);
            for (int epoch = 0; epoch < 2; epoch++)
                AssertSameBatches(loader.Epoch(epoch), streamed.Epoch(epoch));
            AssertSameBatches(loader.Epoch(1, 3), streamed.Epoch(1, 3));
        }
    }

    // The digits as 8-bit grey PNGs, into class folders whose names sort by code point ("C" before "a"), with the same images in memory.
    private (string Root, ImageDataset Memory) DigitFolder(int count)
    {
        var (images, labels) = Digits.First(count);
        string[] names = ["a-zero", "b-one", "C-two"]; // ordinal order: C-two, a-zero, b-one
        string root = Path.Combine(_folder, "digits");
        var items = new List<(string Path, byte[] Pixels, int Class)>();
        for (int i = 0; i < count; i++)
        {
            string name = names[labels[i] % 3];
            var pixels = images.AsSpan(i * 64, 64).ToArray().Select(v => (byte)Math.Min(255, Math.Round(v * 255))).ToArray();
            string path = Path.Combine(root, name, $"img{i:D4}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var file = File.Create(path))
                new ImageWriter().WritePng(pixels, 8, 8, StbImageWriteSharp.ColorComponents.Grey, file);
            items.Add((path, pixels, Array.IndexOf(names.Order(StringComparer.Ordinal).ToArray(), name)));
        }
        var ordered = items.OrderBy(t => t.Class).ThenBy(t => t.Path, StringComparer.Ordinal).ToList();
        var memory = new ImageDataset(ordered.SelectMany(t => t.Pixels.Select(p => p / 255f)).ToArray(), count, 1, 8, 8, classes: 3, labels: ordered.Select(t => t.Class).ToArray());
        return (root, memory);
    }

    [Fact]
    public void AFolderOfPngsStreamsTheTensorsOfTheInMemoryImagesWithTheirTransforms()
    {
        var (root, memory) = DigitFolder(60);
        var folder = new ImageFolderDataset(root, 1, 8, 8);
        Assert.Equal(["C-two", "a-zero", "b-one"], folder.ClassNames);
        Assert.Equal((60, 3), (folder.Count, folder.Classes));
        AssertSameBatches(new DataLoader(memory, 8, shuffle: true, seed: 3).Epoch(2), new DatasetLoader(folder, 8, shuffle: true, seed: 3).Epoch(2));

        ITransform[] pipeline = [new RandomCrop(8, 8, padding: 2), new RandomHorizontalFlip(), new Resize(12, 10), new Normalize([0.5f], [0.25f])];
        var fromFolder = new DatasetLoader(folder, 8, shuffle: true, seed: 3, transforms: pipeline);
        Assert.Equal((1, 12, 10), fromFolder.ImageShape);
        AssertSameBatches(new DatasetLoader(memory, 8, shuffle: true, seed: 3, transforms: pipeline).Epoch(1), fromFolder.Epoch(1));

        // Each item's draws are keyed by (seed, epoch, index), not by the thread or order that read it.
        ulong key = RandomStreams.Derive(3, RandomStream.Augmentation, 1);
        var batch = fromFolder.Epoch(1).First();
        for (int i = 0; i < 8; i++)
        {
            int index = batch.Indices[i];
            float[] image = new float[64];
            memory.Read(index, image);
            var random = new PhiloxRandom(key, (ulong)index << 16);
            float[] current = image;
            var (c, h, w) = (1, 8, 8);
            foreach (var transform in pipeline)
            {
                var (oc, oh, ow) = transform.OutputShape(c, h, w);
                var next = new float[oc * oh * ow];
                transform.Apply(current, c, h, w, next, random);
                (current, c, h, w) = (next, oc, oh, ow);
            }
            Reference.AssertExactly(current, batch.Images.AsSpan(i * 120, 120).ToArray(), $"item {index}");
        }
    }

    [Fact]
    public void ImagesOfAnotherSizeAreResizedAndADamagedFileIsNamedInOneLine()
    {
        string root = Path.Combine(_folder, "mixed");
        Directory.CreateDirectory(Path.Combine(root, "cat"));
        // A 3x2 RGB image, read as a 6x4 one.
        byte[] rgb = [.. Enumerable.Range(0, 18).Select(i => (byte)(i * 14))];
        using (var file = File.Create(Path.Combine(root, "cat", "small.PNG")))
            new ImageWriter().WritePng(rgb, 3, 2, StbImageWriteSharp.ColorComponents.RedGreenBlue, file);
        var folder = new ImageFolderDataset(root, 3, 4, 6);
        var image = new float[3 * 4 * 6];
        Assert.Equal(0, folder.Read(0, image));
        var planes = new float[18];
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 6; p++)
                planes[c * 6 + p] = rgb[p * 3 + c] / 255f;
        var expected = new float[72];
        Resize.Bilinear(planes, 3, 2, 3, expected, 4, 6);
        Reference.AssertExactly(expected, image, "resized");

        string broken = Path.Combine(root, "cat", "broken.jpg");
        File.WriteAllText(broken, "not an image at all");
        var damaged = new ImageFolderDataset(root, 3, 4, 6);
        var error = Assert.Throws<InvalidDataException>(() => new DatasetLoader(damaged, 2).Epoch(0).ToList());
        Assert.StartsWith($"'{broken}' is not a PNG or JPEG image that can be decoded (", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("holds no class folders", Assert.Throws<ArgumentException>(() => new ImageFolderDataset(Path.Combine(root, "cat"), 3, 4, 6)).Message);
    }

    [Theory]
    [InlineData(5, 7, 11, 9)]
    [InlineData(9, 12, 4, 5)]
    [InlineData(3, 3, 3, 3)]
    public void ResizeMatchesAFloat64BilinearReference(int height, int width, int outHeight, int outWidth)
    {
        var random = new Random(height * 100 + width);
        float[] input = [.. Enumerable.Range(0, 2 * height * width).Select(_ => (float)random.NextDouble())];
        var output = new float[2 * outHeight * outWidth];
        new Resize(outHeight, outWidth).Apply(input, 2, height, width, output, new PhiloxRandom(0));
        for (int c = 0; c < 2; c++)
        {
            for (int y = 0; y < outHeight; y++)
            {
                for (int x = 0; x < outWidth; x++)
                {
                    // F.interpolate(mode="bilinear", align_corners=False), in float64.
                    double sy = Math.Max(0, (y + 0.5) * height / outHeight - 0.5), sx = Math.Max(0, (x + 0.5) * width / outWidth - 0.5);
                    int y0 = Math.Min((int)sy, height - 1), x0 = Math.Min((int)sx, width - 1);
                    int y1 = Math.Min(y0 + 1, height - 1), x1 = Math.Min(x0 + 1, width - 1);
                    double ly = sy - y0, lx = sx - x0;
                    double At(int yy, int xx) => input[(c * height + yy) * width + xx];
                    double expected = (1 - ly) * ((1 - lx) * At(y0, x0) + lx * At(y0, x1)) + ly * ((1 - lx) * At(y1, x0) + lx * At(y1, x1));
                    Assert.Equal(expected, output[(c * outHeight + y) * outWidth + x], 1e-6);
                }
            }
        }
    }

    [Fact]
    public void NormalizeCropAndFlipMatchTheirReferences()
    {
        var random = new Random(11);
        float[] input = [.. Enumerable.Range(0, 3 * 5 * 6).Select(_ => (float)random.NextDouble())];
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        var normalised = new float[input.Length];
        new Normalize(mean, std).Apply(input, 3, 5, 6, normalised, new PhiloxRandom(0));
        for (int i = 0; i < input.Length; i++)
        {
            double expected = ((double)input[i] - mean[i / 30]) / std[i / 30];
            Assert.True(Math.Abs(expected - normalised[i]) <= 4e-7 * Math.Max(1, Math.Abs(expected)), $"{i}: {normalised[i]} vs {expected}");
        }
        Assert.Equal("Normalize has 3 channel(s) of mean and std; the images have 1.", Assert.Throws<ArgumentException>(() => new Normalize(mean, std).OutputShape(1, 5, 6)).Message);

        // A crop is a window of the zero-padded image; over many keys every offset of the padding appears.
        var crop = new RandomCrop(4, 5, padding: 1);
        var offsets = new HashSet<(int, int)>();
        int flips = 0;
        for (ulong key = 0; key < 400; key++)
        {
            var output = new float[3 * 4 * 5];
            crop.Apply(input, 3, 5, 6, output, new PhiloxRandom(key));
            var again = new float[output.Length];
            crop.Apply(input, 3, 5, 6, again, new PhiloxRandom(key));
            Assert.Equal(output, again);
            var found = Enumerable.Range(-1, 4).SelectMany(top => Enumerable.Range(-1, 4).Select(left => (top, left)))
                .Where(o => Enumerable.Range(0, output.Length).All(i =>
                {
                    int c = i / 20, y = i / 5 % 4 + o.top, x = i % 5 + o.left;
                    return output[i] == (y is >= 0 and < 5 && x is >= 0 and < 6 ? input[(c * 5 + y) * 6 + x] : 0f);
                })).ToList();
            Assert.Single(found);
            offsets.Add(found[0]);

            var flipped = new float[input.Length];
            new RandomHorizontalFlip().Apply(input, 3, 5, 6, flipped, new PhiloxRandom(key));
            bool mirrored = Enumerable.Range(0, input.Length).All(i => flipped[i] == input[i - i % 6 + 5 - i % 6]);
            Assert.True(mirrored || flipped.SequenceEqual(input));
            flips += mirrored ? 1 : 0;
        }
        Assert.Equal(16, offsets.Count); // tops and lefts -1 .. 2
        Assert.InRange(flips, 160, 240); // p = 1/2 of 400
    }

    [Fact]
    public void ShardedRanksTogetherStreamTheBatchesOfOneLoaderTransformedAlike()
    {
        var (images, labels) = Digits.First(100);
        var data = new TransformedDataset(new ImageDataset(images, 100, 1, 8, 8, classes: 10, labels: labels),
            [new RandomCrop(6, 6, padding: 1), new RandomHorizontalFlip()]);
        var whole = new DatasetLoader(data, 12, shuffle: true, seed: 11, dropLast: true).Epoch(1).Select(b => b.Copy()).ToList();
        var ranks = Enumerable.Range(0, 3).Select(r => new DatasetLoader(data, 4, shuffle: true, seed: 11, dropLast: true, rank: r, ranks: 3).Epoch(1).Select(b => b.Copy()).ToList()).ToList();
        Assert.Equal(100 / 12, whole.Count);
        Assert.All(ranks, shard => Assert.Equal(whole.Count, shard.Count));
        for (int b = 0; b < whole.Count; b++)
        {
            // Position p of the global batch is rank p % 3's row p / 3.
            for (int p = 0; p < 12; p++)
            {
                var shard = ranks[p % 3][b];
                int row = p / 3;
                Assert.Equal(whole[b].Indices[p], shard.Indices[row]);
                Assert.Equal(whole[b].Targets[p], shard.Targets[row]);
                Reference.AssertExactly(whole[b].Images.AsSpan(p * 36, 36).ToArray(), shard.Images.AsSpan(row * 36, 36).ToArray(), $"batch {b}, position {p}");
            }
        }
        Assert.Throws<ArgumentException>(() => new DatasetLoader(data, 4, rank: 0, ranks: 3)); // sharding needs dropLast
    }

    [Fact]
    public void ATransformedDatasetReadAloneGivesWhatALoaderWithSeedZeroGivesInEpochZeroAndComposesItsTransforms()
    {
        var (images, labels) = Digits.First(20);
        var memory = new ImageDataset(images, 20, 1, 8, 8, classes: 10, labels: labels);
        var cropped = new TransformedDataset(memory, [new RandomCrop(6, 6, padding: 2)]);
        var both = new TransformedDataset(cropped, [new Resize(9, 9)]);
        Assert.Same(memory, both.Source);
        Assert.Equal(2, both.Transforms.Count);
        Assert.Equal((1, 9, 9, 10), (both.Channels, both.Height, both.Width, both.Classes));
        Assert.Equal("RandomCrop(size=(6, 6), padding=2)", both.Transforms[0].ToString());
        var batch = new DatasetLoader(memory, 20, transforms: [.. both.Transforms]).Epoch(0).Single();
        for (int i = 0; i < 20; i++)
        {
            float[] alone = new float[81];
            Assert.Equal(labels[i], both.Read(i, alone));
            Reference.AssertExactly(batch.Images.AsSpan(i * 81, 81).ToArray(), alone, $"item {i}");
        }
        // A subset reads through to the items it names.
        var subset = new Subset(both, [7, 3]);
        float[] seven = new float[81], direct = new float[81];
        subset.Read(0, seven);
        both.Read(7, direct);
        Assert.Equal(direct, seven);
        Assert.Contains("index 20 is outside [0, 20)", Assert.Throws<ArgumentOutOfRangeException>(() => new Subset(memory, [1, 20])).Message);
    }
}

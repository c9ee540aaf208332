using Engine.Data;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Data;

/// <summary><see cref="MultiSizeDataset"/> and <see cref="MultiSizeLoader"/>: batches of one size each, in turn, over one seeded order; resumed at any batch to the same bits.</summary>
[DeviceIndependent("datasets, resizing and batching run on the host")]
public sealed class MultiSizeLoaderTests
{
    private static ImageDataset Ramp(int count) =>
        new([.. Enumerable.Range(0, count * 16).Select(i => i % 16 / 15f + i / 16)], count, 1, 4, 4, classes: 3, labels: [.. Enumerable.Range(0, count).Select(i => i % 3)]);

    [Fact]
    public void BatchesTakeTheSizesInTurnOverTheOrderOfOneLoaderAndResumeAlike()
    {
        var source = Ramp(50);
        var data = new MultiSizeDataset(source, [(4, 4), (6, 5), (8, 8)]);
        var loader = new MultiSizeLoader(data, batchSize: 7, shuffle: true, seed: 3, dropLast: true);
        var single = new DatasetLoader(source, batchSize: 7, shuffle: true, seed: 3, dropLast: true);
        Assert.Equal(7, loader.BatchesPerEpoch);
        var batches = loader.Epoch(2).Select(b => b.Copy()).ToList();
        Assert.Equal([(1, 4, 4), (1, 6, 5), (1, 8, 8), (1, 4, 4), (1, 6, 5), (1, 8, 8), (1, 4, 4)], batches.Select(b => b.ImageShape));
        // The items of one loader's batches, each at its batch's size: the first size is the source itself, the others resized.
        var expected = single.Epoch(2).Select(b => b.Copy()).ToList();
        for (int b = 0; b < batches.Count; b++)
        {
            Assert.Equal(expected[b].Indices, batches[b].Indices);
            Assert.Equal(expected[b].Targets, batches[b].Targets);
            var (_, h, w) = batches[b].ImageShape;
            var image = new float[h * w];
            Resize.Bilinear(source.Images.AsSpan(expected[b].Indices[0] * 16, 16), 1, 4, 4, image, h, w);
            Assert.Equal(image, batches[b].Images.AsSpan(0, h * w).ToArray());
        }
        for (int first = 0; first <= 7; first++)
        {
            var resumed = loader.Epoch(2, first).Select(b => b.Copy()).ToList();
            Assert.Equal(batches.Skip(first).Select(b => (b.ImageShape, b.Indices, b.Images)), resumed.Select(b => (b.ImageShape, b.Indices, b.Images)));
        }
    }

    [Fact]
    public void BadSizesAreRefusedByName()
    {
        var source = Ramp(4);
        Assert.Equal("MultiSizeDataset: each size once, got 4x4, 6x6, 4x4. (Parameter 'sizes')",
            Assert.Throws<ArgumentException>(() => new MultiSizeDataset(source, [(4, 4), (6, 6), (4, 4)])).Message);
        Assert.Equal("MultiSizeDataset: sizes must be positive, got 4x4, 0x6. (Parameter 'sizes')",
            Assert.Throws<ArgumentException>(() => new MultiSizeDataset(source, [(4, 4), (0, 6)])).Message);
        Assert.Equal("MultiSizeDataset: needs at least one size. (Parameter 'sizes')",
            Assert.Throws<ArgumentException>(() => new MultiSizeDataset(source, [])).Message);
    }
}

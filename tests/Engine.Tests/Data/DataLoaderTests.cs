using Engine.Data;
using Engine.Ops.Random;

namespace Engine.Tests.Data;

public sealed class DataLoaderTests
{
    private static ImageDataset Numbered(int count, int side = 2, bool masks = false)
    {
        // Image i holds the value i everywhere; its mask (or label) is i % 3.
        var images = Enumerable.Range(0, count).SelectMany(i => Enumerable.Repeat((float)i, side * side)).ToArray();
        return masks
            ? new ImageDataset(images, count, 1, side, side, 3, masks: Enumerable.Range(0, count).SelectMany(i => Enumerable.Repeat(i % 3, side * side)).ToArray())
            : new ImageDataset(images, count, 1, side, side, 3, labels: Enumerable.Range(0, count).Select(i => i % 3).ToArray());
    }

    [Fact]
    public void ShufflingIsAPermutationFixedBySeedAndEpoch()
    {
        var loader = new DataLoader(Numbered(10), 5, shuffle: true, seed: 4);
        var first = loader.Order(0);
        Assert.Equal(Enumerable.Range(0, 10), first.Order());
        Assert.Equal(first, new DataLoader(Numbered(10), 5, shuffle: true, seed: 4).Order(0));   // same seed, same epoch
        Assert.NotEqual(first, loader.Order(1));                                                 // a new order each epoch
        Assert.NotEqual(first, new DataLoader(Numbered(10), 5, shuffle: true, seed: 5).Order(0));
        Assert.Equal(Enumerable.Range(0, 10), new DataLoader(Numbered(10), 5).Order(0));          // no shuffle: in order
    }

    [Fact]
    public void BatchesCarryImagesWithTheirTargetsAndPadTheLastOne()
    {
        var data = Numbered(7);
        var loader = new DataLoader(data, 3, shuffle: true, seed: 1);
        Assert.Equal(3, loader.BatchesPerEpoch);
        var seen = new List<int>();
        foreach (var batch in loader.Epoch(2))
        {
            for (int i = 0; i < 3; i++)
            {
                int index = batch.Indices[i];
                Assert.Equal(index, batch.Images[i * 4]);           // the image of that index
                Assert.Equal(index % 3, batch.Targets[i]);          // with its label
                if (i < batch.Count)
                    seen.Add(index);
            }
        }
        Assert.Equal(Enumerable.Range(0, 7), seen.Order());          // every image once; padding not counted
        Assert.Equal(2, new DataLoader(data, 3, dropLast: true).BatchesPerEpoch);
        Assert.Contains("larger than the 7 images", Assert.Throws<ArgumentException>(() => new DataLoader(data, 8, dropLast: true)).Message);
    }

    [Fact]
    public void AugmentationMovesAnImageAndItsMaskTogether()
    {
        // A 4x4 image with a distinct value per pixel and a mask equal to that value.
        var image = Enumerable.Range(0, 16).Select(v => (float)v).ToArray();
        var mask = Enumerable.Range(0, 16).ToArray();
        var random = new PhiloxRandom(3);
        bool flipped = false, shifted = false;
        foreach (var augmentation in new[] { new Augmentation(HorizontalFlip: true, Padding: 0), new Augmentation(HorizontalFlip: false, Padding: 1), new Augmentation(true, 1) })
        {
            for (int trial = 0; trial < 20; trial++)
            {
                float[] x = (float[])image.Clone();
                int[] m = (int[])mask.Clone();
                augmentation.Apply(x, m, 1, 4, 4, random);
                for (int p = 0; p < 16; p++)
                    Assert.Equal((int)x[p], m[p]);   // pixel and label moved together (outside the image: 0 and background)
                Assert.True(x.All(v => v == 0 || image.Contains(v)));
                flipped |= augmentation.Padding == 0 && x[0] == 3 && x[3] == 0 && x[15] == 12;   // a mirror, row by row
                shifted |= !augmentation.HorizontalFlip && x.Count(v => v == 0) >= 4;           // a row or column shifted out (unshifted: one zero)
            }
        }
        Assert.True(flipped && shifted, "20 draws each should include a flip and a shift");
    }

    [Fact]
    public void DatasetsRejectInconsistentArrays()
    {
        Assert.Contains("5 pixel values do not make [1, 1, 2, 2]", Assert.Throws<ArgumentException>(() => new ImageDataset(new float[5], 1, 1, 2, 2)).Message);
        Assert.Contains("target 3 at 0 is outside [0, 3)", Assert.Throws<ArgumentException>(() => new ImageDataset(new float[4], 1, 1, 2, 2, 3, labels: [3])).Message);
        Assert.Contains("2 labels for 1 images", Assert.Throws<ArgumentException>(() => new ImageDataset(new float[4], 1, 1, 2, 2, 3, labels: [0, 1])).Message);
    }

    [Fact]
    public void ShardsOfAGlobalBatchHoldItsImagesAugmentedAlike()
    {
        // 3 ranks at batch 4 against one loader at batch 12, 50 images (4 full steps; 2 dropped).
        var data = Numbered(50, side: 4, masks: true);
        var augmentation = new Augmentation(HorizontalFlip: true, Padding: 1);
        var whole = new DataLoader(data, 12, shuffle: true, seed: 9, dropLast: true, augmentation: augmentation);
        var shards = Enumerable.Range(0, 3).Select(r => new DataLoader(data, 4, shuffle: true, seed: 9, dropLast: true, augmentation: augmentation, rank: r, ranks: 3)).ToArray();
        Assert.All(shards, s => Assert.Equal(whole.BatchesPerEpoch, s.BatchesPerEpoch));
        Assert.Equal(4, whole.BatchesPerEpoch);

        static List<(int Index, float[] Image, int[] Target)> Items(Batch b, int size, int targetSize) =>
            Enumerable.Range(0, b.Count).Select(i => (b.Indices[i], b.Images.AsSpan(i * size, size).ToArray(), b.Targets.AsSpan(i * targetSize, targetSize).ToArray())).ToList();

        var expected = whole.Epoch(1).Select(b => Items(b, data.ImageSize, data.TargetSize)).ToList();
        var perRank = shards.Select(s => s.Epoch(1).Select(b => Items(b, data.ImageSize, data.TargetSize)).ToList()).ToArray();
        for (int step = 0; step < expected.Count; step++)
        {
            var union = perRank.SelectMany(r => r[step]).OrderBy(x => x.Index).ToList();
            var reference = expected[step].OrderBy(x => x.Index).ToList();
            Assert.Equal(reference.Select(x => x.Index), union.Select(x => x.Index));              // the same images, none twice
            for (int i = 0; i < reference.Count; i++)
            {
                Assert.Equal(reference[i].Image, union[i].Image);                                 // augmented identically
                Assert.Equal(reference[i].Target, union[i].Target);
            }
        }
        // Resuming a sharded epoch at a batch gives that batch.
        Assert.Equal(perRank[1][2].Select(x => x.Index), Items(shards[1].Epoch(1, 2).First(), data.ImageSize, data.TargetSize).Select(x => x.Index));
    }

    [Fact]
    public void ShardingIsCheckedAndEvaluationSharesCoverTheData()
    {
        var data = Numbered(10);
        Assert.Throws<ArgumentException>(() => new DataLoader(data, 2, ranks: 2));                    // a sharded loader drops the last batch
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(data, 2, dropLast: true, rank: 2, ranks: 2));
        var tooLarge = Assert.Throws<ArgumentException>(() => new DataLoader(data, 4, dropLast: true, rank: 0, ranks: 3));
        Assert.Contains("Batch size 4 on each of 3 ranks (12 images a step) is larger than the 10 images", tooLarge.Message);

        var shares = Enumerable.Range(0, 3).Select(r => data.Shard(r, 3)).ToArray();
        Assert.Equal([4, 3, 3], shares.Select(s => s.Count));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), shares.SelectMany(s => Enumerable.Range(0, s.Count).Select(i => s.Images[i * 4])).Order());
        Assert.Same(data, data.Shard(0, 1));
        Assert.Throws<ArgumentException>(() => data.Shard(0, 11));
    }
}

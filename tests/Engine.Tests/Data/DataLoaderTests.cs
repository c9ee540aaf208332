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
}

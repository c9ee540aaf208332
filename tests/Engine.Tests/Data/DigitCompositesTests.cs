using Engine.Data;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Data;

/// <summary>M2NIST-style composites of the real 8x8 digits.</summary>
[DeviceIndependent("the composites are generated on the host")]
public sealed class DigitCompositesTests
{
    private static ImageDataset RealDigits(int count = 300)
    {
        var (images, labels) = Digits.First(count);
        return new ImageDataset(images, count, 1, 8, 8, 10, labels);
    }

    [Fact]
    public void EveryInkPixelTakesItsDigitsClassAndEveryOtherPixelIsBackground()
    {
        var digits = RealDigits();
        var composites = DigitComposites.Build(digits, 200, 24, 40, seed: 3);
        Assert.Equal((200, 1, 24, 40, 11), (composites.Count, composites.Channels, composites.Height, composites.Width, composites.Classes));
        var masks = composites.Masks!;
        for (int i = 0; i < composites.Images.Length; i++)
            Assert.Equal(composites.Images[i] >= DigitComposites.InkThreshold, masks[i] != DigitComposites.Background);
        Assert.All(masks, m => Assert.InRange(m, 0, 10));
        var perImage = Enumerable.Range(0, 200).Select(i => masks.AsSpan(i * 24 * 40, 24 * 40).ToArray().Where(m => m != 0).Distinct().Count()).ToArray();
        Assert.All(perImage, n => Assert.InRange(n, 1, 3));
        Assert.Contains(perImage, n => n == 3);
        Assert.Equal(Enumerable.Range(1, 10), masks.Where(m => m != 0).Distinct().Order()); // every digit class appears
    }

    [Fact]
    public void EachDigitIsPastedWholeWhereItsClassLies()
    {
        // Composite by composite: every labelled region's pixels are the ink of one source digit of
        // that class, so the mask of a class is exactly the ink a digit of that class put there.
        var digits = RealDigits();
        var composites = DigitComposites.Build(digits, 50, 16, 32, seed: 8, maxPerImage: 1);
        for (int i = 0; i < 50; i++)
        {
            var mask = composites.Masks!.AsSpan(i * 16 * 32, 16 * 32).ToArray();
            var image = composites.Images.AsSpan(i * 16 * 32, 16 * 32).ToArray();
            int label = mask.First(m => m != 0) - 1;
            // One digit: some source image of that class, its ink's corner on the canvas ink's corner, reproduces the canvas exactly.
            var (top, left) = InkCorner(image, 16, 32);
            bool found = Enumerable.Range(0, digits.Count).Where(d => digits.Labels![d] == label).Any(d =>
            {
                var (dTop, dLeft) = InkCorner(digits.Images.AsSpan(d * 64, 64).ToArray(), 8, 8);
                return Draws(digits, d, image, 16, 32, top - dTop, left - dLeft);
            });
            Assert.True(found, $"composite {i}: no digit of class {label} draws it");
        }
    }

    private static (int Top, int Left) InkCorner(float[] image, int h, int w)
    {
        var ink = Enumerable.Range(0, h * w).Where(i => image[i] >= DigitComposites.InkThreshold).ToArray();
        return (ink.Min(i => i / w), ink.Min(i => i % w));
    }

    private static bool Draws(ImageDataset digits, int d, float[] canvas, int h, int w, int top, int left)
    {
        var expected = new float[h * w];
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                if (top + y >= 0 && top + y < h && left + x >= 0 && left + x < w)
                    expected[(top + y) * w + left + x] = digits.Images[d * 64 + y * 8 + x];
        return expected.AsSpan().SequenceEqual(canvas);
    }

    [Fact]
    public void TheSameSeedGivesTheSameCompositesAndEachIsKeyedByItsIndex()
    {
        var digits = RealDigits();
        var a = DigitComposites.Build(digits, 40, 16, 24, seed: 5);
        var b = DigitComposites.Build(digits, 40, 16, 24, seed: 5);
        var prefix = DigitComposites.Build(digits, 10, 16, 24, seed: 5);
        Assert.Equal(a.Images, b.Images);
        Assert.Equal(a.Masks, b.Masks);
        Assert.Equal(a.Images[..(10 * 16 * 24)], prefix.Images);
        Assert.NotEqual(a.Images, DigitComposites.Build(digits, 40, 16, 24, seed: 6).Images);
    }

    [Fact]
    public void BadRequestsAreRefusedNamingTheirValues()
    {
        var digits = RealDigits(10);
        Assert.Contains("a 6x20 canvas cannot hold a 8x8 digit", Assert.Throws<ArgumentException>(() => DigitComposites.Build(digits, 5, 6, 20, 1)).Message);
        Assert.Contains("count (0)", Assert.Throws<ArgumentException>(() => DigitComposites.Build(digits, 0, 16, 16, 1)).Message);
        var unlabelled = new ImageDataset(new float[64], 1, 1, 8, 8);
        Assert.Contains("without labels", Assert.Throws<ArgumentException>(() => DigitComposites.Build(unlabelled, 5, 16, 16, 1)).Message);
    }
}

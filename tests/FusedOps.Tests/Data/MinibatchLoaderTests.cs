using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Data;
using Xunit;

namespace FusedOps.Tests.Data;

public sealed class MinibatchLoaderTests
{
    /// <summary>10 images of 1×3×4; image i has label i and pixels 10·i + position.</summary>
    private static ImageDataset Data() => new(
        Enumerable.Range(0, 10).SelectMany(i => Enumerable.Range(0, 12).Select(p => (byte)((10 * i) + p))).ToArray(),
        Enumerable.Range(0, 10).Select(i => (byte)i).ToArray(), 1, 3, 4);

    [Fact]
    public void Epoch_Shuffled_VisitsEveryImageOnceNormalisedAndReusesOneBuffer()
    {
        var loader = new MinibatchLoader(Data(), batchSize: 4, mean: 0.5f, standardDeviation: 0.25f, seed: 1);
        var seen = new List<int>();
        var batches = new HashSet<Minibatch>(ReferenceEqualityComparer.Instance);
        foreach (Minibatch batch in loader.Epoch())
        {
            batches.Add(batch);
            for (int n = 0; n < batch.Size; n++)
            {
                int label = batch.Labels[n];
                seen.Add(label);
                float expected = ((((10 * label) + 5) / 255f) - 0.5f) / 0.25f;
                Assert.Equal(expected, batch.Inputs[(n * 12) + 5]);
            }
        }

        Assert.Equal(Enumerable.Range(0, 10), seen.Order());
        Assert.NotEqual(Enumerable.Range(0, 10), seen);
        Assert.Single(batches);
        Assert.Equal(3, loader.BatchesPerEpoch);
    }

    [Fact]
    public void Epoch_EveryPixelValue_IsTheNormalisationOfItsByte()
    {
        // 16 images of 5 × 7 = 35 pixels (four 8-pixel vectors and a tail of 3), all 256 byte values among them.
        const int length = 35, count = 16;
        byte[] pixels = new byte[count * length];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)((i * 7) % 256);
        }

        var data = new ImageDataset(pixels, new byte[count], 1, 5, 7);
        var loader = new MinibatchLoader(data, batchSize: count, mean: 0.2860f, standardDeviation: 0.3530f, shuffle: false);
        Minibatch batch = loader.Epoch().Single();
        for (int i = 0; i < pixels.Length; i++)
        {
            float expected = ((pixels[i] / 255f) - 0.2860f) / 0.3530f;
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(batch.Inputs[i]),
                $"pixel {i} (byte {pixels[i]}): {batch.Inputs[i]:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void Epoch_SameSeed_SameOrder_NextEpochReshuffles()
    {
        int[] Order(MinibatchLoader l) => l.Epoch().SelectMany(b => b.Labels.ToArray()).ToArray();
        var a = new MinibatchLoader(Data(), 3, seed: 7);
        var b = new MinibatchLoader(Data(), 3, seed: 7);
        var c = new MinibatchLoader(Data(), 3, seed: 8);

        int[] first = Order(a);
        Assert.Equal(first, Order(b));
        Assert.NotEqual(first, Order(c));
        Assert.NotEqual(first, Order(a));
    }

    [Fact]
    public void Epoch_NoShuffleDropLast_KeepsOrderAndDropsTail()
    {
        var loader = new MinibatchLoader(Data(), 4, shuffle: false, dropLast: true);

        int[] labels = loader.Epoch().SelectMany(b => b.Labels.ToArray()).ToArray();

        Assert.Equal(Enumerable.Range(0, 8), labels);
        Assert.Equal(8, loader.ImagesPerEpoch);
    }

    [Fact]
    public void Augment_FlipOnly_GivesTheImageOrItsMirror_AndFlipsSome()
    {
        var loader = new MinibatchLoader(Data(), 10, shuffle: false, seed: 3) { HorizontalFlip = true };
        Minibatch batch = loader.Epoch().Single();
        int flipped = 0;
        for (int n = 0; n < 10; n++)
        {
            float[] image = batch.Inputs.Slice(n * 12, 12).ToArray();
            float[] plain = Enumerable.Range(0, 12).Select(p => ((10 * n) + p) / 255f).ToArray();
            float[] mirror = Enumerable.Range(0, 12).Select(p => ((10 * n) + ((p / 4 * 4) + 3 - (p % 4))) / 255f).ToArray();
            Assert.True(image.SequenceEqual(plain) || image.SequenceEqual(mirror), $"image {n} is neither itself nor its mirror");
            flipped += image.SequenceEqual(mirror) ? 1 : 0;
        }

        Assert.InRange(flipped, 1, 9);
    }

    [Fact]
    public void Augment_CropWithPadding_IsAShiftedWindowWithBlackBorder()
    {
        var loader = new MinibatchLoader(Data(), 10, shuffle: false, seed: 5) { RandomCropPadding = 1 };
        Minibatch batch = loader.Epoch().Single();
        int shifted = 0;
        for (int n = 0; n < 10; n++)
        {
            float[] image = batch.Inputs.Slice(n * 12, 12).ToArray();
            bool matched = false;
            for (int dy = -1; dy <= 1 && !matched; dy++)
            {
                for (int dx = -1; dx <= 1 && !matched; dx++)
                {
                    int ddy = dy, ddx = dx;
                    float[] window = Enumerable.Range(0, 12).Select(p =>
                    {
                        int y = (p / 4) + ddy, x = (p % 4) + ddx;
                        return y is >= 0 and < 3 && x is >= 0 and < 4 ? ((10 * n) + (y * 4) + x) / 255f : 0f;
                    }).ToArray();
                    matched = image.SequenceEqual(window);
                    shifted += matched && (dy, dx) != (0, 0) ? 1 : 0;
                }
            }

            Assert.True(matched, $"image {n} is not a padded crop");
        }

        Assert.InRange(shifted, 1, 10);
    }

    [Fact]
    public void Constructor_BadArguments_ThrowNamingThem()
    {
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new MinibatchLoader(Data(), 0)).ParamName);
        Assert.Equal("standardDeviation", Assert.Throws<ArgumentOutOfRangeException>(() => new MinibatchLoader(Data(), 2, standardDeviation: 0f)).ParamName);
        Assert.Equal("pixels", Assert.Throws<ArgumentException>(() => new ImageDataset(new byte[5], new byte[1], 1, 2, 2)).ParamName);
    }
}

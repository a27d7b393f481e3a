using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Data;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The serial passes of a training step that are split over the threads: the loader's normalisation of a batch (images in slices)
/// and <see cref="ParameterList.ZeroGrad"/>'s clearing of long gradients. Both are copies or stores, so every value is the same at
/// 1, 2 and 3 threads, and a steady-state call allocates nothing.
/// </summary>
[Collection("KernelLevel")]
public sealed class ParallelSerialPassesTests
{
    // 3 × 5 × 7 = 105 pixels an image (13 vectors of 8 and a tail of 1); image i's pixel j is (7i + 3j) mod 256, its label i mod 10.
    private const int ImageLength = 105;

    private static ImageDataset Data(int count) => new(
        Enumerable.Range(0, count * ImageLength).Select(k => (byte)((7 * (k / ImageLength)) + (3 * (k % ImageLength)))).ToArray(),
        Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray(), 3, 5, 7);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Loader_AnyThreadCount_SameBatches_EachTheNormalisationOfItsImage(bool shuffle)
    {
        const int count = 203, batchSize = 64; // 4 batches, the last of 11 images
        ImageDataset data = Data(count);
        List<(float[] Inputs, int[] Labels)>? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var batches = new List<(float[] Inputs, int[] Labels)>();
            KernelLevelCollection.AtThreads(threads, () =>
            {
                var loader = new MinibatchLoader(data, batchSize, mean: 0.2860f, standardDeviation: 0.3530f, shuffle: shuffle, seed: 5);
                foreach (Minibatch batch in loader.Epoch())
                {
                    batches.Add((batch.Inputs.ToArray(), batch.Labels.ToArray()));
                }
            });

            Assert.Equal(4, batches.Count);
            Assert.Equal(11, batches[^1].Labels.Length);
            if (!shuffle)
            {
                // In order: batch b's image n is image 64·b + n, every value its byte's normalisation.
                for (int b = 0; b < batches.Count; b++)
                {
                    for (int n = 0; n < batches[b].Labels.Length; n++)
                    {
                        int image = (batchSize * b) + n;
                        Assert.Equal(image % 10, batches[b].Labels[n]);
                        for (int j = 0; j < ImageLength; j++)
                        {
                            float expected = ((data.Pixels[(image * ImageLength) + j] / 255f) - 0.2860f) / 0.3530f;
                            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(batches[b].Inputs[(n * ImageLength) + j]),
                                $"{threads} threads, batch {b}, image {n}, pixel {j}: {batches[b].Inputs[(n * ImageLength) + j]:R}, expected {expected:R}");
                        }
                    }
                }
            }

            first ??= batches;
            for (int b = 0; b < batches.Count; b++)
            {
                Assert.Equal(first[b].Labels, batches[b].Labels);
                Assert.True(first[b].Inputs.AsSpan().SequenceEqual(batches[b].Inputs), $"{threads} threads, batch {b}: inputs differ from 1 thread's");
            }
        }
    }

    [Fact]
    public void Loader_SteadyState_AllocatesNothingPerBatch() => KernelLevelCollection.AtThreads(2, () =>
    {
        var loader = new MinibatchLoader(Data(2_000), 40, shuffle: true, seed: 1); // 50 batches, split over 2 threads
        using IEnumerator<Minibatch> batches = loader.Epoch().GetEnumerator();
        for (int i = 0; i < 3; i++)
        {
            Assert.True(batches.MoveNext());
        }

        Assert.Equal(0, SteadyAllocations.Cleanest(() => Assert.True(batches.MoveNext())));
    });

    [Fact]
    public void ZeroGrad_AnyThreadCount_ClearsEveryGradientToTheLastElement()
    {
        foreach (int threads in new[] { 1, 2, 3 })
        {
            // A gradient long enough to split (not a multiple of 16: the last slice takes the tail) and two short ones.
            var parameters = new ParameterList(new Parameter("w", [1_001, 263], hasGrad: true), new Parameter("b", [5], hasGrad: true), new Parameter("s", [70_000], hasGrad: true));
            foreach (Parameter p in parameters)
            {
                p.Grad.AsSpan().Fill(1.5f);
            }

            KernelLevelCollection.AtThreads(threads, parameters.ZeroGrad);
            foreach (Parameter p in parameters)
            {
                int nonzero = Array.FindIndex(p.Grad, v => BitConverter.SingleToInt32Bits(v) != 0);
                Assert.True(nonzero < 0, $"{threads} threads: {p.Name}'s gradient [{nonzero}] was not cleared");
            }
        }
    }

    [Fact]
    public void ZeroGrad_SteadyState_AllocatesNothing() => KernelLevelCollection.AtThreads(2, () =>
    {
        var parameters = new ParameterList(new Parameter("w", [1_001, 263], hasGrad: true), new Parameter("b", [5], hasGrad: true));
        parameters.ZeroGrad();
        Assert.Equal(0, SteadyAllocations.Cleanest(parameters.ZeroGrad));
    });
}

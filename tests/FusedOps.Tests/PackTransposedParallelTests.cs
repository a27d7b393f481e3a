using System;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="PackedGemm.PackTransposed"/> of a weight large enough to split over threads (a training step packs every Linear
/// weight again): the panels hold W's columns in the documented layout, the same bits for any degree of parallelism.
/// </summary>
[Collection("KernelLevel")]
public sealed class PackTransposedParallelTests
{
    [Theory]
    [InlineData(128, 1568)] // Fashion-MNIST's first Linear: 8 whole panels
    [InlineData(100, 1000)] // 7 panels, the last one 4 columns wide and zero-padded
    [InlineData(300, 517)]  // 19 panels: more than PackJob's parts at 2 threads, so a part packs several
    public void PackTransposed_SplitOverThreads_LayoutAndBitsAsOneThread(int cols, int depth)
    {
        float[] w = new float[cols * depth];
        var random = new Random(cols);
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (random.NextSingle() * 2f) - 1f;
        }

        float[] one = [];
        KernelLevelCollection.AtThreads(1, () => one = Pack(w, cols, depth));
        AssertLayout(w, cols, depth, one);
        foreach (int threads in new[] { 2, 3 })
        {
            float[] split = [];
            KernelLevelCollection.AtThreads(threads, () => split = Pack(w, cols, depth));
            AssertLayout(w, cols, depth, split);
            Assert.Equal(one.Length, split.Length);
            for (int i = 0; i < one.Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(one[i]) != BitConverter.SingleToInt32Bits(split[i]))
                {
                    Assert.Fail($"{cols} × {depth}, {threads} threads: packed float {i} is {split[i]:R}, one thread packed {one[i]:R}");
                }
            }
        }
    }

    // The panels alone (from the offset the buffer's last float records), packed into a buffer filled with NaN first so an
    // unwritten float shows.
    private static float[] Pack(float[] w, int cols, int depth)
    {
        float[] packed = new float[PackedGemm.PackedLength(depth, cols)];
        packed.AsSpan().Fill(float.NaN);
        PackedGemm.PackTransposed(w, cols, depth, packed);
        int start = (int)packed[^1];
        int panels = (cols + PackedGemm.PanelWidth - 1) / PackedGemm.PanelWidth;
        return packed.AsSpan(start, panels * depth * PackedGemm.PanelWidth).ToArray();
    }

    // Panel p, row t, lane j holds W[16p + j, t] (B = Wᵀ), or 0 past the last column.
    private static void AssertLayout(float[] w, int cols, int depth, float[] panels)
    {
        int width = PackedGemm.PanelWidth;
        for (int i = 0; i < panels.Length; i++)
        {
            int p = i / (depth * width), t = i / width % depth, j = (p * width) + (i % width);
            float expected = j < cols ? w[(j * depth) + t] : 0f;
            if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(panels[i]))
            {
                Assert.Fail($"{cols} × {depth}: panel {p}, row {t}, column {j} holds {panels[i]:R}, expected {expected:R}");
            }
        }
    }
}

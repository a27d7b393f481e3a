using System;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The grid panels of the generated stride-1 inference convolutions: the tables cover every output pixel once, in order,
/// and compressing a panel writes exactly its valid pixels (neighbouring panels, which another thread may be writing,
/// are left alone).
/// </summary>
[Collection("KernelLevel")]
public sealed class GridPanelTests
{
    /// <summary>
    /// Frozen.Infer on grid panels (tap blocks, residual, one sample split over threads or several by sample) allocates
    /// nothing once warm, on the calling thread: the tables are static and the tail is the thread's scratch.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(3, 2)]
    public void FrozenInfer_OnGridPanels_AllocatesNothing(int batch, int threads)
    {
        int saved = KernelOptions.MaxDegreeOfParallelism;
        try
        {
            KernelOptions.MaxDegreeOfParallelism = threads;
            var model = new GridConvs(3);
            IInferenceModel frozen = model.Freeze();
            float[] x = Enumerable.Range(0, batch * GridConvs.InputLength).Select(i => MathF.Sin(i)).ToArray();
            float[] y = new float[batch * GridConvs.OutputLength];
            for (int i = 0; i < 5; i++)
            {
                frozen.Infer(x, y, batch);
            }

            Assert.Equal(0, SteadyAllocations.Cleanest(() => frozen.Infer(x, y, batch)));
        }
        finally
        {
            KernelOptions.MaxDegreeOfParallelism = saved;
        }
    }

    [Theory]
    [InlineData(56, 56, 58)]
    [InlineData(28, 28, 30)]
    [InlineData(14, 14, 16)]
    [InlineData(13, 19, 21)]
    [InlineData(5, 3, 7)]
    [InlineData(3, 40, 44)]
    public void Tables_CoverEveryPixelOnce_InOrder(int outHeight, int outWidth, int paddedWidth)
    {
        int panels = ConvHelpers.GridPanelCount(outHeight, outWidth, paddedWidth);
        int[] outputs = ConvHelpers.GridPanelOutputs(outHeight, outWidth, paddedWidth);
        int[] lanes = ConvHelpers.GridPanelLanes(outHeight, outWidth, paddedWidth);
        int next = 0;
        for (int pb = 0; pb < panels; pb++)
        {
            int first = outputs[2 * pb], count = outputs[(2 * pb) + 1];
            for (int j = 0; j < count; j++)
            {
                int q = (pb * 32) + lanes[(pb * 32) + j];
                Assert.Equal(next, first + j);
                Assert.Equal(((q / paddedWidth) * outWidth) + (q % paddedWidth), first + j);
                next++;
            }
        }

        Assert.Equal(outHeight * outWidth, next);
    }

    [Theory]
    [InlineData(56, 56, 58, 3)]
    [InlineData(14, 14, 16, 5)]
    [InlineData(6, 5, 7, 2)]
    [InlineData(16, 16, 18, 8)]
    public void CompressColumns_WritesOnlyTheValidPixels_AndExpandInvertsIt(int outHeight, int outWidth, int paddedWidth, int rows)
    {
        int panels = ConvHelpers.GridPanelCount(outHeight, outWidth, paddedWidth);
        int[] outputs = ConvHelpers.GridPanelOutputs(outHeight, outWidth, paddedWidth);
        int[] lanes = ConvHelpers.GridPanelLanes(outHeight, outWidth, paddedWidth);
        int stride = outHeight * outWidth;
        for (int pb = 0; pb < panels; pb++)
        {
            int first = outputs[2 * pb], count = outputs[(2 * pb) + 1];
            float[] tail = Enumerable.Range(0, rows * 32).Select(i => (float)(i + 1)).ToArray();
            float[] y = Enumerable.Repeat(-1f, rows * stride).ToArray();
            ConvHelpers.CompressColumns(ref tail[0], rows, ref y[first], stride, lanes, pb, count);
            for (int r = 0; r < rows; r++)
            {
                for (int p = 0; p < stride; p++)
                {
                    int j = p - first;
                    float expected = j >= 0 && j < count ? tail[(r * 32) + lanes[(pb * 32) + j]] : -1f;
                    Assert.Equal(expected, y[(r * stride) + p]);
                }
            }

            float[] back = new float[rows * 32];
            ConvHelpers.ExpandColumns(ref y[first], rows, stride, lanes, pb, count, ref back[0]);
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < count; j++)
                {
                    int lane = lanes[(pb * 32) + j];
                    Assert.Equal(tail[(r * 32) + lane], back[(r * 32) + lane]);
                }
            }
        }
    }

    /// <summary>
    /// The shifted copies read through their tap offsets give every output pixel of every tap the value the padded input
    /// gives it through the ordinary tap offsets; every float is written (nothing is left from before), the zeros after
    /// the copies included. 3 × 3 on rows of whole vectors takes the one-pass route, the others the block copies.
    /// </summary>
    [Theory]
    [InlineData(8, 16, 16, 1, 3)]
    [InlineData(1, 4, 8, 1, 3)]
    [InlineData(3, 17, 15, 1, 3)]
    [InlineData(2, 9, 16, 2, 5)]
    [InlineData(2, 6, 7, 0, 1)]
    public void PadShifted_ReadThroughItsTaps_MatchesThePaddedInput(int channels, int height, int width, int padding, int kernel)
    {
        int hp = height + (2 * padding), wp = width + (2 * padding);
        float[] x = Enumerable.Range(0, channels * height * width).Select(i => (float)(i + 1)).ToArray();
        float[] padded = new float[channels * hp * wp];
        ConvHelpers.Pad(ref x[0], channels, height, width, padding, ref padded[0]);
        int length = ConvHelpers.ShiftedLength(channels, height, width, padding, kernel);
        float[] copies = Enumerable.Repeat(float.NaN, length).ToArray();
        ConvHelpers.PadShifted(ref x[0], channels, height, width, padding, kernel, ref copies[0]);
        Assert.DoesNotContain(copies, float.IsNaN);
        Assert.All(copies.Skip(length - 32), v => Assert.Equal(0f, v));
        int[] taps = ConvHelpers.TapOffsets(channels, kernel, 1, hp, wp);
        int[] shifted = ConvHelpers.ShiftedTapOffsets(channels, height, width, padding, kernel);
        Assert.Equal(taps.Length, shifted.Length);
        for (int k = 0; k < taps.Length; k++)
        {
            for (int q = 0; q < height * width; q++)
            {
                Assert.Equal(padded[taps[k] + ((q / width) * wp) + (q % width)], copies[shifted[k] + q]);
            }
        }
    }
}

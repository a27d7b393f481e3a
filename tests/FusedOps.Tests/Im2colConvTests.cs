using System.Collections.Generic;
using System.Linq;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The im2col × PackedGemm inference route (<c>Im2colGemm</c>): Infer and Frozen.Infer match the reference at every kernel
/// width and give the same bits at 1, 2 and 3 threads (one sample split by blocks of pixels, several by sample), on shapes
/// that are no multiples of the tiles: channels not multiples of 16, rows that are not whole panels or are narrower than
/// one, padding 0, 1 and 2, dilation 2.
/// </summary>
[Collection("KernelLevel")]
public sealed class Im2colConvTests
{
    public static IEnumerable<object[]> Cases()
    {
        int[] levels = new[] { 512, 256, 128, 0 }.Where(l => l <= FusedOps.Kernels.KernelDispatch.HardwareBits).ToArray();
        foreach (int level in levels)
        {
            foreach (string pipeline in new[] { nameof(Im2colPad1), nameof(Im2colPad0Pad2), nameof(Im2colDilated), nameof(Im2colNarrow) })
            {
                foreach (int batch in new[] { 1, 3 })
                {
                    yield return new object[] { pipeline, level, batch };
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Inference_MatchesReference_AndIsBitwiseIdentical_AtOneTwoAndThreeThreads(string pipeline, int vectorBits, int batch) =>
        ConvParallelTests.AssertSameBitsAtThreadCounts(pipeline, vectorBits, batch, 2, 3);

    /// <summary>
    /// Frozen.Infer on the im2col route allocates nothing once warm, on the calling thread: the packing and the input band use
    /// the thread's scratch, the tap offsets and runs the stack.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(3, 2)]
    public void FrozenInfer_OnTheIm2colRoute_AllocatesNothing(int batch, int threads)
    {
        int saved = KernelOptions.MaxDegreeOfParallelism;
        try
        {
            KernelOptions.MaxDegreeOfParallelism = threads;
            IInferenceModel frozen = new Im2colPad1(3).Freeze();
            float[] x = Enumerable.Range(0, batch * Im2colPad1.InputLength).Select(i => System.MathF.Sin(i)).ToArray();
            float[] y = new float[batch * Im2colPad1.OutputLength];
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
}

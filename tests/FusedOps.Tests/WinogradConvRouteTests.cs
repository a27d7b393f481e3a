using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The Winograd inference route: Infer (the direct kernel) and Frozen.Infer (the route at 512 and 256 bits, the direct kernel at the
/// other widths) match the reference at every kernel width and give the same bits at 1, 2 and 3 threads (one sample split by
/// tile rows, several by sample), with padding 1 and 0, odd heights and widths, with and without BatchNorm, on both register
/// blocks (64 and 32 output channels); and the 256-bit-only route with a residual and a MaxPool2d(2) in its epilogue.
/// </summary>
[Collection("KernelLevel")]
public sealed class WinogradConvRouteTests
{
    public static IEnumerable<object[]> Cases()
    {
        int[] levels = new[] { 512, 256, 128, 0 }.Where(l => l <= KernelDispatch.HardwareBits).ToArray();
        foreach (int level in levels)
        {
            foreach (string pipeline in new[] { nameof(WinogradPad1), nameof(WinogradNoPad), nameof(WinogradNarrowInference), nameof(WinogradResidualPool256), nameof(WinogradPool256Small), nameof(Winograd43Wide), nameof(Winograd43Paired) })
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

    /// <summary>Frozen.Infer on the route allocates nothing once warm, on one sample split over threads and on several.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void FrozenInfer_AllocatesNothing_InSteadyState(int batch) => KernelLevelCollection.AtLevel(512, () =>
    {
        var model = new WinogradPad1(1);
        var frozen = model.Freeze();
        float[] x = new float[batch * WinogradPad1.InputLength], y = new float[batch * WinogradPad1.OutputLength];
        void Step() => frozen.Infer(x, y, batch);
        Step();
        Assert.Equal(0, SteadyAllocations.Cleanest(Step));
    });

    /// <summary>The folded models hold transformed weights (the route is planned), the unfolded ones none (no per-call transform).</summary>
    [Theory]
    [InlineData(typeof(WinogradPad1), 64, 64)]
    [InlineData(typeof(WinogradNoPad), 80, 64)]
    [InlineData(typeof(WinogradNarrowInference), 16, 32)]
    [InlineData(typeof(WinogradPool256Small), 16, 32, 256)]
    public void FrozenModels_HoldTheTransformedWeights(System.Type type, int channels, int outChannels, int vectorBits = 512) =>
        KernelLevelCollection.AtLevel(vectorBits, () => HoldsTheTransformedWeights(type, channels, outChannels));

    /// <summary>
    /// Case C's kind of layer (64 → 64 on rows of 56 or more) and case B's (16 → 32) hold, besides the F(2 × 2, 3 × 3) weights of
    /// 512 bits, the F(4 × 4, 3 × 3) weights their 256-bit route reads (36 per input and output channel) where that route can run,
    /// and none where not.
    /// </summary>
    [Theory]
    [InlineData(typeof(Winograd43Wide), 64, 64)]
    [InlineData(typeof(Winograd43Paired), 16, 32)]
    [InlineData(typeof(WinogradNarrowInference), 16, 32)]
    public void WideLayers_HoldTheFourByFourWeights_At256Bits(System.Type type, int channels, int outChannels) => KernelLevelCollection.AtLevel(256, () =>
    {
        var model = (IFusedModel)System.Activator.CreateInstance(type, 1)!;
        const System.Reflection.BindingFlags Private = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic;
        object frozen = type.GetMethod("Freeze")!.Invoke(model, null)!;
        object inference = frozen.GetType().GetFields(Private).Select(f => f.GetValue(frozen)).Single(v => v?.GetType().GetField("_wf0", Private) is not null)!;
        object? weights = inference.GetType().GetField("_wf0", Private)!.GetValue(inference);
        if (!WinogradConv.Enabled256)
        {
            Assert.Null(weights);
            return;
        }

        Assert.Equal(36 * channels * outChannels, Assert.IsType<float[]>(weights).Length);
    });

    private static void HoldsTheTransformedWeights(System.Type type, int channels, int outChannels)
    {
        var model = (IFusedModel)System.Activator.CreateInstance(type, 1)!;
        const System.Reflection.BindingFlags Private = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic;
        object frozen = type.GetMethod("Freeze")!.Invoke(model, null)!;

        // Frozen wraps the generated inference model; the route's field is on that.
        object inference = frozen.GetType().GetFields(Private).Select(f => f.GetValue(frozen)).Single(v => v?.GetType().GetField("_wg0", Private) is not null)!;
        object? weights = inference.GetType().GetField("_wg0", Private)!.GetValue(inference);
        if (type == typeof(WinogradPool256Small) && !WinogradConv.Enabled256)
        {
            // The 256-bit-only route transforms its weights only where it can run (AVX2 + FMA).
            Assert.Null(weights);
            return;
        }

        var packed = Assert.IsType<float[]>(weights);
        Assert.Equal(16 * channels * outChannels, packed.Length);
    }
}

namespace FusedOps.Generator.Plan;

/// <summary>Register-block sizes of the generated convolution kernels, shared by the planner (diagnostics) and the emitter.</summary>
internal static class KernelLimits
{
    /// <summary>Most output channels in one Vector512 register block (2 accumulators each: 24 of 32 zmm).</summary>
    public const int MaxRows512 = 12;

    /// <summary>Most output channels in one Vector256 register block (4 accumulators each: 12 of 16 ymm).</summary>
    public const int MaxRows256 = 3;

    /// <summary>
    /// Most output channels in one Vector128 register block: 3 rows × 16 columns (4 accumulators each, a panel's two halves one
    /// after the other), 12 of the 16 xmm registers of x64 (ARM64 has 32 NEON registers; planned for x64 so it does not spill).
    /// </summary>
    public const int MaxRows128 = 3;

    /// <summary>Beyond this many register blocks per panel, block calls are looped rather than unrolled (FOPS0015).</summary>
    public const int MaxUnrolledBlocks = 24;

    public static int BlockCount(int rows, int max) => (rows + max - 1) / max;

    public static bool Unrolled(int outChannelsPerGroup) => BlockCount(outChannelsPerGroup, MaxRows256) <= MaxUnrolledBlocks;
}

using System.Collections.Generic;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>A register block: output channels [Start, Start + Rows) of a group, held in accumulators.</summary>
internal readonly record struct RowBlock(int Start, int Rows);

/// <summary>
/// One Conv2d layer as the kernels see it: constant sizes, the register blocks of each vector width,
/// and the scratch layout of its forward and backward passes (floats).
/// </summary>
internal sealed record ConvPlan(
    int Layer, int C, int H, int W, int OC, int OH, int OW, int K, int Stride, int Pad, int Dilation, int Groups,
    EquatableArray<RowBlock> Blocks512, EquatableArray<RowBlock> Blocks256, bool Unrolled, BackwardLayout Backward)
{
    /// <summary>
    /// The Vector128 register blocks (SSE on x64, AdvSimd on ARM64; <c>KernelDispatch.RuntimeBits</c> 128): at most
    /// <see cref="KernelLimits.MaxRows128"/> rows, each block run over a panel's two 16-column halves in turn.
    /// </summary>
    public EquatableArray<RowBlock> Blocks128 { get; init; } = Blocks256;

    /// <summary>Whether inference adds a residual (a saved tensor or its projection) in the register blocks' epilogue.</summary>
    public bool Residual { get; init; }

    /// <summary>
    /// Inference only: the window side of the non-overlapping pool (stride at least the window) of the group after this one,
    /// run in this group's inference pass (0: none); see <see cref="PoolFusion"/>. Only the pooled outputs are written.
    /// </summary>
    public int PoolKernel { get; init; }

    /// <summary>The fused pool's stride (at least <see cref="PoolKernel"/>: its windows do not overlap).</summary>
    public int PoolStride { get; init; }

    /// <summary>The fused pool's padding on each side (−∞ for MaxPool2d, zeros counted in the divisor for AvgPool2d).</summary>
    public int PoolPadding { get; init; }

    /// <summary>Whether the fused pool is a MaxPool2d (else an AvgPool2d).</summary>
    public bool PoolMax { get; init; }

    /// <summary>
    /// Whether the fused pool is the 2×2 one (stride 2, no padding) reduced in the register blocks: pool panels hold two output
    /// rows of 16 pixels each. Any other fused pool runs over bands of output rows (<see cref="PoolBand"/>).
    /// </summary>
    public bool PoolInRegisters => PoolKernel == 2 && PoolStride == 2 && PoolPadding == 0;

    /// <summary>The band geometry of a fused pool not reduced in registers (null otherwise).</summary>
    public PoolBand? Band => PoolKernel > 0 && !PoolInRegisters ? PoolBand.Create(this) : null;

    /// <summary>
    /// Inference only: the per-channel activation of the group after this one, run in the register blocks' epilogue.
    /// Its parameter per output channel (the slope, or 1 for a negated BipolarReLU channel) follows the shifts:
    /// <c>shift[OC + c]</c>.
    /// </summary>
    public ChannelEpilogue Channel { get; init; }

    /// <summary>The fused channel activation as the header names it.</summary>
    public string ChannelName { get; init; } = string.Empty;

    /// <summary>
    /// Inference only: the pieces of the Maxout of the group after this one, run in the register blocks' epilogue (0: none).
    /// Output channel o is the maximum of rows o·pieces … o·pieces + pieces − 1; only OC / pieces channels are stored.
    /// </summary>
    public int MaxoutPieces { get; init; }

    /// <summary>Whether inference writes the next group's output (its pool, channel activation or Maxout runs in the epilogue).</summary>
    public bool TakesNext => PoolKernel > 0 || Channel != ChannelEpilogue.None || MaxoutPieces > 0;

    /// <summary>Floats inference writes per sample: the pooled, maxed-out or plain output.</summary>
    public int InferenceOutLength => PoolKernel > 0 ? OC * PP : MaxoutPieces > 0 ? OC / MaxoutPieces * P : OC * P;

    /// <summary>The fused pool as the header names it.</summary>
    public string PoolName => $"{(PoolMax ? "MaxPool2d" : "AvgPool2d")}({PoolKernel}"
        + (PoolStride != PoolKernel || PoolPadding != 0 ? $", Stride = {PoolStride}, Padding = {PoolPadding})" : ")")
        + (PoolKernel > 0 && !PoolInRegisters ? $" per band of {PoolKernel} output rows" : string.Empty);

    /// <summary>Pooled output height and width (PyTorch's floor: rows and columns no window covers are never computed).</summary>
    public int POH => PoolKernel == 0 ? OH : ((OH + (2 * PoolPadding) - PoolKernel) / PoolStride) + 1;

    public int POW => PoolKernel == 0 ? OW : ((OW + (2 * PoolPadding) - PoolKernel) / PoolStride) + 1;

    /// <summary>Pooled outputs per channel.</summary>
    public int PP => POH * POW;

    /// <summary>Pool panels per pooled row in registers: 8 pooled outputs (two rows of 16 output pixels) each.</summary>
    public int PoolSegments => (POW + 7) / 8;

    /// <summary>The units a fused pool's inference is split into: pool panels in registers, else bands (one per pooled row).</summary>
    public int PoolPanels => PoolInRegisters ? POH * PoolSegments : POH;

    public int Cg => C / Groups;

    public int OCg => OC / Groups;

    /// <summary>Taps per output channel: the GEMM depth.</summary>
    public int Kc => Cg * K * K;

    public int P => OH * OW;

    public int Hp => H + (2 * Pad);

    public int Wp => W + (2 * Pad);

    public int Panels => (P + 31) / 32;

    public int PadLength => Pad > 0 ? C * Hp * Wp : 0;

    /// <summary>
    /// Whether inference's grid path reads K column-shifted copies of the padded input (ConvHelpers.PadShifted) instead of
    /// the padded-width grid: a small stride-1 "same" convolution (rows keep their width) without residual, pool, Maxout or
    /// groups, whose weights fit one tap block. Panel pb is then output pixels [32·pb, 32·pb + 32), read in place: no
    /// position past a row is computed and dropped, and no panel is compressed into the output (case S2, 8 → 8 on 16 × 16:
    /// 8 panels instead of 9, 8 of them stored in place instead of none). Same taps in the same order: the same bits.
    /// </summary>
    public bool Shifted => Stride == 1 && Pad > 0 && OW % 32 != 0 && MaxoutPieces == 0 && PoolKernel == 0 && Groups == 1 && Dilation == 1
        && !Residual && 2 * Pad == K - 1 && K <= W && OCg * Kc <= 4096 && K * C * Hp * W <= 8192;

    /// <summary>Floats of <see cref="Shifted"/>'s input copies and the zeros after them (ConvHelpers.ShiftedLength), else 0.</summary>
    public int ShiftedLength => Shifted ? (K * C * Hp * W) + 32 : 0;

    /// <summary>
    /// Scratch floats for one sample's forward: padded input (or its shifted copies), one panel, then a 32-wide tail block (and
    /// its residual), or the band of a fused pool (and its residual) when that is larger.
    /// </summary>
    public int ForwardScratch => Im2col
        ? (Kc * 32) + 16 + ((OC + 6) * 32) + (C * Hp * Wp) + 32 // Im2colConv.PanelLength + PaddedLength: a thread's scratch
        : System.Math.Max(PadLength, ShiftedLength) + (Kc * 32) + System.Math.Max(OC * 32 * (Residual ? 2 : 1), Band?.Scratch(OCg, Residual) ?? 0);

    /// <summary>
    /// The planner's choice for inference: the runtime's <c>Im2colGemm</c> (im2col blocks of 32 pixels packed as
    /// <c>PackedGemm</c> panels, multiplied by its 12 × 32 tiles) rather than the generated direct kernel. Only a plain
    /// stride-1, ungrouped convolution whose epilogue is its own (no residual, pool, channel activation or Maxout); and only
    /// where it measured faster (CPU time of alternating calls, docs/performance.md): many output channels (each packed
    /// element serves every one of them, so they amortise the packing), many taps per output and a large plane.
    /// 128 → 128 on 28 × 28 ran 12–14 % faster on it, 64 → 128 on 56 × 56 the same; case C (64 → 64 on 56 × 56) ran
    /// about 8 % slower and case B (16 → 32) far slower, so they keep the direct kernel.
    /// </summary>
    public bool Im2col => Groups == 1 && Stride == 1 && !Residual && !TakesNext && OC >= 96 && Kc >= 288 && Kc <= 8192 && P >= 256;

    /// <summary>
    /// The planner's choice for inference at 512 bits: the runtime's <c>LanesConv</c> (output channels in the vector lanes: a strip
    /// of 6 pixels × 64 channels in 24 accumulators, weights packed at <c>Freeze()</c>, the row transposed to NCHW) rather than
    /// the generated direct kernel. A plain stride-1, ungrouped convolution with its own epilogue (as <see cref="Im2col"/>, which
    /// takes precedence), output channels a multiple of 64, rows of 16 pixels or more (whole 16 × 16 tiles to transpose) and
    /// 288 or more taps per output (the transposition and the padding amortised). Case C (64 → 64, 3×3 on 56 × 56) ran
    /// 6–10 % faster on it (docs/performance.md). The folded model (<c>Freeze()</c>) only: <c>Infer</c> keeps the generated kernel.
    /// </summary>
    public bool Lanes => Groups == 1 && Stride == 1 && !Residual && !TakesNext && !Im2col && !Winograd && OC % 64 == 0 && OW >= 16 && Kc >= 288;

    /// <summary>
    /// The planner's choice for inference at 512 and 256 bits: the runtime's <c>WinogradConv</c> (F(2 × 2, 3 × 3): 16 multiplies per
    /// 2 × 2 output tile and channel pair instead of 36; weights transformed at <c>Freeze()</c>) rather than the direct kernels.
    /// A plain stride-1, dilation-1, ungrouped 3 × 3 convolution with its own epilogue (as <see cref="Lanes"/>; <see cref="Im2col"/>
    /// takes precedence), rows of 32 pixels or more (whole 16-tile vectors), and either 64 or more input channels and 64·k output
    /// channels (the channels-in-lanes block) or 16 input channels and 32 output channels (the tiles-in-lanes block, the only one at
    /// 256 bits, where it also runs case C at 1.5–1.8× ONNX Runtime's speed;
    /// case B, 16 → 32 on 32 × 32, ran at 0.6× the direct kernel's speed on the channels block). Case C (64 → 64 on 56 × 56) ran
    /// about 1.4× faster than on <see cref="Lanes"/>, case B see docs/performance.md. The folded model (<c>Freeze()</c>) only.
    /// </summary>
    public bool Winograd => Groups == 1 && Stride == 1 && Dilation == 1 && K == 3 && !Residual && !TakesNext && !Im2col && OW >= 32
        && ((C >= 64 && OC % 64 == 0) || (C == 16 && OC == 32));

    /// <summary>
    /// The planner's choice for inference at 256 bits only (AVX2 + FMA, <c>KernelDispatch.Level</c> 1): the runtime's
    /// <c>WinogradConv.RunUnpadded256</c> (the tiles-in-lanes block at 8 tiles a vector) for the shapes <see cref="Winograd"/> leaves to
    /// the direct kernels: 16 input and 16 or 32 output channels on rows of 28 pixels or more, with a residual and a fused MaxPool2d(2)
    /// run in its epilogue (a 2 × 2 output tile is one pool window). Elsewhere, and at 512 bits, the generated direct kernel runs, so the
    /// plan (the pool's fusion included) is the one <see cref="Winograd"/> alone gives. Measured on AMD EPYC Zen 3 (AVX2), one thread,
    /// thread CPU time: 16 → 32 on 14 × 14 32–44 µs a sample against the direct kernel's 37–50, 16 → 16 on 28 × 28 equal to 15 %
    /// faster, the Fashion-MNIST sample's network 5,800–6,300 → 7,000–7,400 images/s (docs/performance-history.md, wt-binfer256). The
    /// folded model only.
    /// </summary>
    public bool Winograd256 => !Winograd && Groups == 1 && Stride == 1 && Dilation == 1 && K == 3 && !Im2col
        && Channel == ChannelEpilogue.None && MaxoutPieces == 0
        && (PoolKernel == 0 || (PoolInRegisters && PoolMax && OH % 2 == 0 && OW % 2 == 0))
        && C == 16 && (OC == 16 || OC == 32) && (OW >= 28 || OW is >= 14 and <= 16);

    /// <summary>
    /// Of the shapes on <see cref="Winograd256"/>, those that run Winograd F(4 × 4, 3 × 3) (<c>WinogradConv.RunUnpadded43x256</c>: 6 × 6
    /// tiles, 36 products per 16 outputs where F(2 × 2, 3 × 3) needs 64) rather than F(2 × 2, 3 × 3): 16 output channels on rows of 28
    /// pixels or more (the Fashion-MNIST network's 16 → 16 layers on 28 × 28). Measured on AMD EPYC Zen 3 (AVX2): docs/performance-history.md,
    /// wt-f43. A summation order of its own, so at 256 bits these layers do not give the bits of the 512-bit and narrower paths'
    /// direct kernels (which never did: those are not Winograd).
    /// </summary>
    public bool Winograd43 => Winograd256 && OC == 16 && OW >= 28;

    /// <summary>
    /// Of the shapes on <see cref="Winograd"/>, those that run Winograd F(4 × 4, 3 × 3) at 256 bits (<c>WinogradConv.RunUnpadded43x256</c>,
    /// the weights transformed for it at <c>Freeze()</c>, instead of for F(2 × 2, 3 × 3)) while 512 bits keeps F(2 × 2, 3 × 3): 64 or more input channels on
    /// rows of 56 pixels or more (case C, 64 → 64 on 56 × 56: 1.2–1.4× the F(2 × 2, 3 × 3) route's speed on one thread,
    /// docs/performance-history.md, wt-f43), and 16 input with 32 output channels (case B, 16 → 32 on 32 × 32, its rows of 8 tiles two at
    /// a time: 1.3–1.8× in the kernel, rows of 40 to 64 pixels 1.3–1.5×; docs/performance-history.md, wt-f43x). So at 256 bits these
    /// layers do not give the bits of 512 bits.
    /// </summary>
    public bool Winograd43Wide => Winograd && ((C >= 64 && OW >= 56) || (C == 16 && OC == 32));

    public static ConvPlan Create(Conv2dLayer op, Shape input, Shape output)
    {
        int cg = input.C / op.Groups, ocg = output.C / op.Groups;
        int p = output.H * output.W;
        int pad = op.Padding > 0 ? input.C * (input.H + (2 * op.Padding)) * (input.W + (2 * op.Padding)) : 0;
        return new ConvPlan(
            op.Index, input.C, input.H, input.W, output.C, output.H, output.W, op.KernelSize, op.Stride, op.Padding, op.Dilation, op.Groups,
            Blocks(ocg, KernelLimits.MaxRows512),
            Blocks(ocg, KernelLimits.MaxRows256),
            KernelLimits.Unrolled(ocg),
            BackwardLayout.Create(cg * op.KernelSize * op.KernelSize, (p + 31) / 32, output.C, ocg, op.Groups, pad))
        {
            Blocks128 = Blocks(ocg, KernelLimits.MaxRows128),
        };
    }

    /// <summary>Row blocks of at most <paramref name="max"/> rows covering <paramref name="rows"/> as evenly as possible.</summary>
    public static EquatableArray<RowBlock> Blocks(int rows, int max)
    {
        int count = (rows + max - 1) / max;
        int q = rows / count, rem = rows % count;
        var blocks = new List<RowBlock>();
        int start = 0;
        for (int b = 0; b < count; b++)
        {
            int size = b < rem ? q + 1 : q;
            blocks.Add(new RowBlock(start, size));
            start += size;
        }

        return blocks.ToEquatableArray();
    }
}

/// <summary>The per-channel operator a Conv2d's inference epilogue builds for each output channel row.</summary>
internal enum ChannelEpilogue
{
    /// <summary>None: the group's own (uniform) operator only.</summary>
    None,

    /// <summary><c>new PReluOperator(shift[OC + c])</c>: PReLU (one or per-channel slopes) and RReLU's mean slope.</summary>
    Slope,

    /// <summary><c>new BipolarReluOperator(shift[OC + c] != 0)</c>: ReLU on even channels, min(x, 0) on odd ones.</summary>
    Bipolar,
}

/// <summary>
/// Offsets of the backward pass's scratch regions for one Conv2d layer (floats): <c>Npp</c> is the pixel
/// count rounded up to whole panels, <c>Blocks</c> the blocks of 32 output channels per group; then the
/// padded input, its gradient, the im2col columns, the output-gradient panels, one tap panel, the
/// transposed output gradient and the transposed weight-gradient accumulators.
/// </summary>
internal sealed record BackwardLayout(int Npp, int Blocks, int Xp, int Dxp, int Cols, int Dzp, int Dcol, int Dzt, int Dwt, int Total)
{
    public static BackwardLayout Create(int kc, int panels, int oc, int ocg, int groups, int padLength)
    {
        int npp = panels * 32;
        int blocks = (ocg + 31) / 32;
        int cols = 2 * padLength;
        int dzp = cols + (kc * npp);
        int dcol = dzp + (panels * oc * 32);
        int dzt = dcol + (kc * 32);
        int dwt = dzt + (blocks * npp * 32);
        return new BackwardLayout(npp, blocks, 0, padLength, cols, dzp, dcol, dzt, dwt, dwt + (groups * blocks * kc * 32));
    }
}

using System;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <content>
/// The forward product and the input gradient's on Winograd F(2×2, 3×3) (<see cref="WinogradConv"/>): 16 multiplies per 2 × 2
/// outputs and channel pair instead of 36, for 3×3 same convolutions (stride 1, padding 1, no dilation) with enough channels
/// and pixels (see MinWinogradChannels), where the kernel runs at the current width (512 bits); each product decides on its own
/// channel counts. The forward reads the padded planes the grid route reads (the
/// kept ones or the slot's) and writes z straight to NCHW, then the bias and the channel sums Σ, Σ² are taken in place (the grid
/// route's crop pass on the same planes). The input gradient reads the output gradient's grid, which is the output gradient
/// padded by one (its margin and the columns past each row are zero), with the weights flipped and channel-transposed, and
/// writes dX's planes. Weights are transformed once per call into a buffer of the layer's. dW takes Winograd F(3×3, 2×2)
/// (<c>WinogradConv.WeightGradient.cs</c>) where the forward takes the route and the input channels are a multiple of 16: each
/// part's samples add, in order, into its sums M (the forward's input transform of the padded planes against A g Aᵀ of the
/// output gradient's grid), closed to dW once per part (Gᵀ M G) and added in part order like the grid's partials
/// (<see cref="WinogradWeightGradientEnabled"/> switches it off). Measured (Backward without dX, batch 64, one thread, best of
/// 12 alternating rounds, 2026-12-01): Fashion-MNIST's 16 → 16 at 28 × 28 grid ÷ Winograd 1.32–1.36, case B's 16 → 32 at
/// 32 × 32 1.42–1.45, 32 → 32 at 28 × 28 1.52.
/// The per-sample work is the same at any thread count, so the bits are too; they differ from the grid route's.
/// At 256 bits (AVX2, <see cref="KernelDispatch.Level"/> 1) the forward and input-gradient products take the route from 14
/// tiles a row (<see cref="WinogradConv.TrainingRuns"/>: output rows of 27 and more, cases B and C and the Fashion-MNIST
/// network's 16 → 16 layers on 28 × 28), and dW from 14 tiles a row too (<see cref="WinogradConv.WeightGradientRuns"/>). Measured (Conv2dTrainer alone, one thread, thread CPU time, best of 21 alternating rounds on a
/// loaded 2-core AMD EPYC Zen 3, 2026-12-01; grid ÷ Winograd): case C forward 1.58, Backward without dX 1.44; case B forward
/// 1.30, Backward without dX 0.98; 16 → 16 on 28 × 28 (batch 64) forward 0.90, Backward with dX 1.42 (dW alone on
/// Winograd 1.18); 16 → 32 on 14 × 14 forward 0.70, Backward 0.85, dW alone 0.96. Re-measured after the 256-bit output
/// transform lost its masked stores (wt-wino28, best of 40–60 rounds): 16 → 16 on 28 × 28 forward 1.14–1.19, input gradient
/// 1.15–1.2 (taken since); 16 → 32 on 14 × 14 forward 0.91, Backward 0.91–0.93 (grid).
/// Of those, at 256 bits the forward and the input gradient run Winograd F(4 × 4, 3 × 3) (WinogradConv.F43x256.cs: 2.25 products
/// per output instead of 4) on rows of 7 or 8 of its tiles (25 to 32 pixels: the Fashion-MNIST network's 16 → 16 on 28 × 28,
/// case B) and for 64 or more channels on rows of 56 or more (case C's kind), the input gradient on the output gradient's grid
/// through <see cref="WinogradConv.RunStrided43x256{TAct}"/>. Measured (wt-t43, Conv2dTrainer alone, one thread, thread CPU time,
/// 101 alternating rounds on a loaded 2-core AMD EPYC Zen 3, 2026-12-02; F(2 × 2) ÷ F(4 × 4), median): 16 → 16 on 28 × 28
/// (batch 64) forward 1.30–1.32, Backward with dX 1.06–1.08 (without dX 0.99: the input gradient alone about 1.15–1.2); case B's
/// 16 → 32 on 32 × 32 (batch 8) Backward with dX 1.09–1.10; case C's 64 → 64 on 56 × 56 (batch 1) 1.07–1.10.
/// Rows of 4 F(4 × 4) tiles (13 to 16 pixels: the Fashion-MNIST network's 16 → 32 on 14 × 14, which F(2 × 2) at 256 bits left on
/// the grid) take both products on F(4 × 4, 3 × 3) at 256 bits with two tile rows a vector (<see cref="Flat43Enabled"/>,
/// WinogradConv.F43Quad256.cs: a 14 × 14 plane's 16 tiles in one pass of two vectors); dW stays on the grid. Measured (wt-g4,
/// Conv2dTrainer alone, batch 64, one thread, thread CPU time, alternating rounds on a loaded 2-core AMD EPYC Zen 3, 2026-12-02;
/// grid ÷ F(4 × 4), median): forward 1.75–1.77, Backward with dX 1.23–1.25; the sample's training step 1.055.
/// </content>
public sealed unsafe partial class Conv2dTrainer
{
    // Fewest input and output channels of a product, and fewest output pixels per plane, the route takes: 32 and more on both
    // sides, or 16 and more with at most 32 input and 48 output channels (WinogradConv's tiles-in-lanes block below 32 output
    // channels; the products measured faster). Measured per product
    // (Conv2dTrainer's Forward, and Backward with and without dX, one thread, 2026-11-30, channels block before its tiles block
    // and masked row loads): 16 channels in or out at most as fast as the grid (case B's 16 → 32 forward 3 % slower, the
    // Fashion-MNIST network's 16 → 16 at 28 × 28 40 % slower); 32 → 32 and up on 28 × 28 5–25 % faster, 64 → 64 on 56 × 56
    // (case C) 28 %; planes of 7 × 7 2× slower and 14 × 14 no faster (too few tiles per row for the transforms). With the tiles
    // block and masked row loads (grid ÷ Winograd, best of 9–15 alternating rounds, three runs on a shared machine): case B's
    // 16 → 32 forward 1.17–1.54, its 32 → 16 input gradient 1.44–2.6; Fashion-MNIST 16 → 16 at 28 × 28, batch 64: forward
    // 1.08–2.9, input gradient 1.19–2.2; 16 → 48 forward 1.10–1.14, but its input gradient (48 → 16) 0.60–1.16: left on the grid.
    // Planes of 14 × 14 (7 tiles a row) take the route since the tiles-in-lanes block packs tiles across rows (WinogradConv.Flat.cs)
    // and dW runs on Winograd (2026-12-01, one thread, batch 64, thread CPU time, best of 8–10 alternating rounds, grid ÷ Winograd):
    // 16 → 32 forward 1.03–1.07, Backward with dX 1.10–1.14, dW alone 1.15; 16 → 16 forward 0.97, Backward 1.15; 32 → 32 forward
    // 1.30, Backward 1.33; 64 → 64 1.67 and 1.53. 7 × 7 stays on the grid (16 → 32: forward 1.12, but Backward 0.92, dW 0.81).
    private const int MinWinogradChannels = 16;

    // Fewest output pixels per plane for layers whose weight gradient cannot take Winograd (input channels not a multiple of 16):
    // the 14 × 14 planes were measured with it on Winograd only.
    private const int MinWinogradPixelsOnGridWeights = 400;

    /// <summary>
    /// Fewest output pixels per plane for which a training convolution whose input channels are a multiple of 16 (its weight
    /// gradient then on Winograd too) takes the Winograd route for its products (default 196: 14 × 14 planes and larger; other
    /// layers from 400). Read when a trainer is constructed; process-wide, for benchmarks and tests that compare the routes.
    /// </summary>
    public static int MinWinogradPixels { get; set; } = 196;

    // With fewer than 32 channels on a side: at most these many input and output channels.
    private const int MaxNarrowChannels = 32, MaxNarrowOutChannels = 48;

    private readonly WinogradShape? _winogradForward, _winogradInput;
    private float[] _winogradForwardWeights = [], _winogradInputWeights = [], _winogradStaging = [];
    private bool _onWinograd, _weightsOnWinograd;

    // The forward on F(4 × 4, 3 × 3) at 256 bits (WinogradConv.RunUnpadded43x256 on the padded planes, padding 0), for the shapes
    // Shape43 names (case C's kind of layer, and rows of 7 or 8 tiles: Fashion-MNIST's, case B's). Its weights, transformed
    // once per Forward, and the epilogue's unit scale and zero shift (either product's).
    private readonly bool _forward43Shape;
    private float[] _winograd43Weights = [], _unitScale = [], _zeroShift = [];
    private bool _on43;

    // The input gradient on F(4 × 4, 3 × 3) at 256 bits (WinogradConv.RunStrided43x256 on the output gradient's grid, each plane
    // padded by one and Lz apart, padding 0), for the shapes Shape43 names. Its weights flipped and channel-transposed
    // (staged) and transformed once per Backward.
    private readonly bool _input43Shape;

    // The forward's and the input gradient's shapes with rows of 4 F(4 × 4, 3 × 3) tiles (13 to 16 pixels: the Fashion-MNIST
    // network's 16 → 32 on 14 × 14), which take F(4 × 4, 3 × 3) at 256 bits with two tile rows a vector (Flat43Enabled) though
    // F(2 × 2, 3 × 3) does not run there (WinogradConv.TrainingRuns).
    private readonly bool _flat43Forward, _flat43Input;

    /// <summary>
    /// Whether the training forward and input gradient of a convolution on the Winograd route's shapes with output rows of 13 to 16
    /// pixels (4 tiles of F(4 × 4, 3 × 3): 14 × 14 planes) run Winograd F(4 × 4, 3 × 3) at 256 bits (<see cref="KernelDispatch.Level"/> 1)
    /// with two tile rows a vector (<see cref="WinogradConv.Flat43"/>) instead of the grid (default true; needs
    /// <see cref="Winograd43Enabled"/>, and for the input gradient <see cref="InputGradient43Enabled"/>). The weight gradient stays
    /// on the grid. Process-wide, for benchmarks and tests that compare the routes.
    /// </summary>
    public static bool Flat43Enabled { get; set; } = true;
    private float[] _winograd43InputWeights = [], _flipped = [];
    private bool _onInput43;

    /// <summary>
    /// Whether the input gradient of a convolution on the Winograd route with 64 or more output channels on rows of 56 or more, or
    /// with rows of 25 to 32 pixels (7 or 8 tiles), runs Winograd F(4 × 4, 3 × 3) at 256 bits (<see cref="KernelDispatch.Level"/> 1) instead of
    /// F(2 × 2, 3 × 3) (default true; needs <see cref="Winograd43Enabled"/>). Process-wide, for benchmarks and tests that compare
    /// the routes.
    /// </summary>
    public static bool InputGradient43Enabled { get; set; } = true;

    /// <summary>Whether the last Backward computed the input gradient on Winograd F(4 × 4, 3 × 3) (see <see cref="InputGradient43Enabled"/>).</summary>
    public bool InputGradientOnWinograd43 { get; private set; }

    /// <summary>
    /// Whether the training forward of a convolution on the Winograd route with 64 or more input channels on output rows of 56 or
    /// more, or with output rows of 25 to 32 pixels (7 or 8 tiles), runs Winograd F(4 × 4, 3 × 3) at 256 bits (<see cref="KernelDispatch.Level"/>
    /// 1) instead of F(2 × 2, 3 × 3) (default true): 2.25 products per output instead of 4, the route cases B's and C's inference take
    /// at 256 bits. Process-wide, for benchmarks and tests that compare the routes.
    /// </summary>
    public static bool Winograd43Enabled { get; set; } = true;

    /// <summary>Whether the last Forward ran its product on Winograd F(4 × 4, 3 × 3) (see <see cref="Winograd43Enabled"/>).</summary>
    public bool ForwardOnWinograd43 { get; private set; }

    /// <summary>
    /// Whether the training forward and input gradient of a convolution run Winograd F(4 × 4, 3 × 3) at 128 bits
    /// (<see cref="KernelDispatch.RuntimeBits"/> 128: SSE, ARM64's AdvSimd; WinogradConv.F43x128.cs) on the shapes that take it at
    /// 256 bits (see <see cref="Winograd43Enabled"/> and <see cref="Flat43Enabled"/>: case B's and C's kinds, the Fashion-MNIST
    /// network's 28 × 28 and 14 × 14 layers) instead of the grid (default true; needs <see cref="WinogradEnabled"/>). Other shapes
    /// stay on the grid: F(4 × 4)'s larger rounding error is taken where it was measured to pay. The weight gradient takes
    /// F(3 × 3, 2 × 2) at 128 bits on its own switch (<see cref="WinogradWeightGradientEnabled"/>, WinogradConv.WeightGradient128.cs).
    /// Process-wide, for benchmarks and tests that compare the routes.
    /// </summary>
    public static bool Winograd128Enabled { get; set; } = true;

    // Whether the current call's product runs the 128-bit F(4 × 4, 3 × 3) kernel (the forward's, or the input gradient's).
    private bool _on128, _onInput128;

    /// <summary>
    /// Whether training convolutions may run their forward and input-gradient products on Winograd F(2×2, 3×3) (default true).
    /// Process-wide, like <see cref="KernelOptions.MaxVectorBits"/>: for benchmarks and tests that compare the routes.
    /// </summary>
    public static bool WinogradEnabled { get; set; } = true;

    /// <summary>
    /// Whether training convolutions whose forward takes the Winograd route may also compute their weight gradient on Winograd
    /// F(3×3, 2×2) (default true; needs <see cref="WinogradEnabled"/>). Process-wide, for benchmarks and tests that compare the routes.
    /// </summary>
    public static bool WinogradWeightGradientEnabled { get; set; } = true;

    /// <summary>Whether the last Backward computed the weight gradient on Winograd F(3×3, 2×2).</summary>
    public bool WeightGradientOnWinograd { get; private set; }

    /// <summary>Whether the last Forward ran its product on Winograd F(2×2, 3×3).</summary>
    public bool ForwardOnWinograd { get; private set; }

    /// <summary>Whether the last Backward computed the input gradient on Winograd F(2×2, 3×3).</summary>
    public bool InputGradientOnWinograd { get; private set; }

    // Floats of a slot's scratch the kernel needs (after the grids and the activation's sample), for either product.
    private int WinogradScratchLength => RoundUp(Math.Max(
        Math.Max(_winogradForward?.ScratchLength ?? 0, _winogradInput?.ScratchLength ?? 0),
        Math.Max(_forward43Shape || _flat43Forward ? WinogradConv.ScratchLength43(_winogradForward!.Value) : 0,
            _input43Shape || _flat43Input ? WinogradConv.ScratchLength43(_winogradInput!.Value) : 0)), 16)
        + RoundUp(Math.Max(
            _winogradForward is { } f ? WinogradConv.ScratchLength43x128(in f) : 0, _winogradInput is { } i ? WinogradConv.ScratchLength43x128(in i) : 0), 16);

    // Whether a product takes the 128-bit F(4 × 4, 3 × 3) kernel now.
    private static bool Runs128 => WinogradEnabled && Winograd128Enabled && WinogradConv.Enabled128;

    // Whether a product of this shape (the forward, or the input gradient: channels then the layer's output channels) may take
    // F(4 × 4, 3 × 3) at 256 bits: 64 or more input channels on rows of 56 or more (ConvPlan.Winograd43Wide's kind of layer, case C:
    // the step 13–17 % faster), or rows of 7 or 8 tiles (25 to 32 pixels: one vector of tiles, two tile rows a pass; case B, 16 → 32
    // on 32 × 32: the step 1–5 % faster; the Fashion-MNIST network's 16 → 16 on 28 × 28: the forward 1.30–1.32× as fast, wt-t43).
    // Backward with dX on it 1.06–1.10× as fast for Fashion-MNIST's 16 → 16 on 28 × 28, case B's 32 → 16 and case C's 64 → 64
    // (wt-t43). Rows of 9 to 13 tiles would pad to 16 (not measured).
    private static bool Shape43(in WinogradShape? shape) =>
        shape is { } f && ((f.Channels >= 64 && f.OutWidth >= 56) || (f.OutWidth + 3) / 4 is 7 or 8);

    // Whether a product of this shape has rows of 4 F(4 × 4, 3 × 3) tiles (13 to 16 pixels), for Flat43Enabled.
    private static bool Flat43Shape(in WinogradShape? shape) => shape is { } f && (f.OutWidth + 3) / 4 == 4;

    // The Winograd shape of a product of this layer (channels in and out of that product) when it takes the route at all (decided
    // once; the width is checked per call), else null.
    private static WinogradShape? WinogradFor(int channels, int outChannels, int height, int width, int kernel, int padding, int dilation, int minPixels) =>
        kernel == 3 && padding == 1 && dilation == 1 && channels >= MinWinogradChannels && outChannels >= MinWinogradChannels
        && (Math.Min(channels, outChannels) >= 32 || (channels <= MaxNarrowChannels && outChannels <= MaxNarrowOutChannels))
        && height * width >= minPixels
            ? new WinogradShape(channels, outChannels, height, width)
            : null;

    // Before a Forward's parts run: whether it takes the route, and if so its weights transformed.
    private void PrepareWinogradForward(float[] weight)
    {
        bool flat = _flat43Forward && Flat43Enabled && Winograd43Enabled && WinogradConv.Enabled256;
        _on128 = (_forward43Shape || _flat43Forward) && Runs128;
        _onWinograd = _winogradForward is { } shape && WinogradEnabled && (WinogradConv.TrainingRuns(in shape) || flat || _on128);
        ForwardOnWinograd = _onWinograd;
        _on43 = _onWinograd && (_forward43Shape || flat) && Winograd43Enabled && WinogradConv.Enabled256;
        ForwardOnWinograd43 = _on43 || _on128;
        if (_on43 || _on128)
        {
            WinogradShape f = _winogradForward!.Value;
            if (_winograd43Weights.Length < WinogradConv.PackedLength43(in f))
            {
                _winograd43Weights = new float[WinogradConv.PackedLength43(in f)];
            }

            UnitEpilogue(f.OutPad);
            WinogradConv.Pack43(in f, weight.AsSpan(0, _oc * _kc), _winograd43Weights);
        }
        else if (_onWinograd)
        {
            Transform(weight, _winogradForward!.Value, ref _winogradForwardWeights, transposeFlip: false);
        }
    }

    // Before a Backward's parts run: whether its input gradient takes the route, and if so the weights flipped, transposed and transformed.
    private void PrepareWinogradInput(float[] weight, bool wantInput)
    {
        bool flat = _flat43Input && Flat43Enabled && Winograd43Enabled && InputGradient43Enabled && WinogradConv.Enabled256;
        _onInput128 = wantInput && (_input43Shape || _flat43Input) && Runs128;
        _onWinograd = wantInput && _winogradInput is { } shape && WinogradEnabled && (WinogradConv.TrainingRuns(in shape) || flat || _onInput128);
        InputGradientOnWinograd = _onWinograd;
        _onInput43 = _onWinograd && (_input43Shape || flat) && Winograd43Enabled && InputGradient43Enabled && WinogradConv.Enabled256;
        InputGradientOnWinograd43 = _onInput43 || _onInput128;
        if (_onInput43 || _onInput128)
        {
            // The input gradient's weights [c][o][3][3], each kernel flipped: dX = conv(dZ padded by one, w′) with w′[c][o][k] = w[o][c][8 − k].
            WinogradShape f = _winogradInput!.Value;
            if (_winograd43InputWeights.Length < WinogradConv.PackedLength43(in f))
            {
                (_winograd43InputWeights, _flipped) = (new float[WinogradConv.PackedLength43(in f)], new float[_oc * _kc]);
            }

            for (int ci = 0; ci < _c; ci++)
            {
                for (int o = 0; o < _oc; o++)
                {
                    int to = ((ci * _oc) + o) * 9, from = (o * _kc) + (ci * 9);
                    for (int k = 0; k < 9; k++)
                    {
                        _flipped[to + k] = weight[from + 8 - k];
                    }
                }
            }

            UnitEpilogue(f.OutPad);
            WinogradConv.Pack43(in f, _flipped, _winograd43InputWeights);
        }
        else if (_onWinograd)
        {
            Transform(weight, _winogradInput!.Value, ref _winogradInputWeights, transposeFlip: true);
        }
    }

    // The F(4 × 4, 3 × 3) kernel's epilogue for a product with `pad` output channels (padded): y = 1·conv + 0.
    private void UnitEpilogue(int pad)
    {
        if (_unitScale.Length < pad)
        {
            (_unitScale, _zeroShift) = (new float[pad], new float[pad]);
            _unitScale.AsSpan().Fill(1f);
        }
    }

    // Before a Backward's parts run: whether its weight gradient takes the route (the forward's shape, input channels in 16s).
    private void PrepareWinogradWeights()
    {
        _weightsOnWinograd = _winogradForward is { } shape && WinogradEnabled && WinogradWeightGradientEnabled && WinogradConv.WeightGradientRuns(in shape);
        WeightGradientOnWinograd = _weightsOnWinograd;
    }

    // Floats of a slot's scratch past ScratchLength for the Winograd weight gradient: its sums M, then the kernel's scratch.
    private int WinogradWeightsLength =>
        RoundUp(WinogradConv.WeightGradientSumsLength(_winogradForward!.Value), 16) + WinogradConv.WeightGradientScratchLength(_winogradForward!.Value);

    // One sample's M sums from its padded planes and its output gradient's grid (dZ from Lz·o + m, rows Wp apart).
    private void WinogradWeightSample(ref float xp, ref float dzGrid, ref float sums)
    {
        WinogradShape shape = _winogradForward!.Value;
        int plane = (_h + 2) * _wp, sumsLength = WinogradConv.WeightGradientSumsLength(in shape);
        WinogradConv.WeightGradientSample(in shape, Planes(ref xp, _c * plane), plane, _wp, Planes(ref Unsafe.Add(ref dzGrid, _m), ((_oc - 1) * _lz) + ((_oh - 1) * _wp) + _ow),
            _lz, _wp, Planes(ref sums, sumsLength), Planes(ref Unsafe.Add(ref sums, RoundUp(sumsLength, 16)), WinogradConv.WeightGradientScratchLength(in shape)));
    }

    // One sample's z = conv(x) (no bias) into NCHW planes from its padded planes (Hp × Wp each, Hp·Wp apart).
    private void WinogradForwardSample(ref float xp, ref float z, ref float scratch)
    {
        WinogradShape shape = _winogradForward!.Value;
        int plane = (_h + 2) * _wp;
        if (_on128)
        {
            // The padded planes as the unpadded kernel reads them: (OH + 2) × Wp each, Hp·Wp apart.
            WinogradConv.RunStrided43x128(in shape, ref xp, plane, ref _winograd43Weights[0], ref z, ref Scratch128(ref scratch));
            return;
        }

        if (_on43)
        {
            // The padded planes with padding 0: (OH + 2) × Wp each, Hp·Wp apart, as the unpadded kernel reads its planes; y = 1·conv + 0.
            ref float scratch43 = ref Unsafe.Add(ref scratch, RoundUp(ActivationOffset + OutLength, 16));
            WinogradConv.RunUnpadded43x256(default(IdentityOperator), in shape, 0, ref xp, ref _winograd43Weights[0], ref _unitScale[0], ref _zeroShift[0],
                ref z, ref z, false, false, ref scratch43, 0, WinogradConv.TileRows43(in shape));
            return;
        }

        WinogradConv.Run(default(IdentityOperator), in shape, Planes(ref xp, _c * plane), plane, _wp, _winogradForwardWeights, [], [],
            Planes(ref z, OutLength), _oh * _ow, _ow, 0, shape.TileRows, WinogradScratch(ref scratch, shape));
    }

    // One sample's dX from its output gradient's grid: plane o at o·Lz holds dZ padded by one from Lz·o + Wp + 1 (rows Wp apart,
    // the margin before, the columns past each row and the rows after the last are zero).
    private void WinogradInputSample(ref float dzGrid, ref float dx, ref float scratch)
    {
        WinogradShape shape = _winogradInput!.Value;
        if (_onInput128)
        {
            // dZ's padded planes, (H + 2) × Wp each, Lz apart.
            WinogradConv.RunStrided43x128(in shape, ref Unsafe.Add(ref dzGrid, _wp + 1), _lz, ref _winograd43InputWeights[0], ref dx, ref Scratch128(ref scratch));
            return;
        }

        if (_onInput43)
        {
            // The padded planes of dZ read with padding 0: (H + 2) × Wp each (Wp = W + 2), Lz apart; y = 1·conv + 0.
            ref float scratch43 = ref Unsafe.Add(ref scratch, RoundUp(ActivationOffset + OutLength, 16));
            WinogradConv.RunStrided43x256(default(IdentityOperator), in shape, 0, ref Unsafe.Add(ref dzGrid, _wp + 1), _lz, ref _winograd43InputWeights[0],
                ref _unitScale[0], ref _zeroShift[0], ref dx, ref dx, false, false, ref scratch43, 0, WinogradConv.TileRows43(in shape));
            return;
        }

        int length = ((_oc - 1) * _lz) + ((_h + 1) * _wp) + _w + 2;
        WinogradConv.Run(default(IdentityOperator), in shape, Planes(ref Unsafe.Add(ref dzGrid, _wp + 1), length), _lz, _wp, _winogradInputWeights, [], [],
            Planes(ref dx, InLength), _h * _w, _w, 0, shape.TileRows, WinogradScratch(ref scratch, shape));
    }

    // The weights transformed into buffer, which is allocated at the first call that needs it (a first layer never computes its
    // input gradient).
    private void Transform(float[] weight, in WinogradShape shape, ref float[] buffer, bool transposeFlip)
    {
        if (buffer.Length < shape.PackedLength)
        {
            buffer = new float[shape.PackedLength];
        }

        if (_winogradStaging.Length < 9 * shape.OutPad)
        {
            _winogradStaging = new float[9 * shape.OutPad];
        }

        WinogradConv.PackForTraining(in shape, weight.AsSpan(0, _oc * _kc), buffer, transposeFlip, _winogradStaging);
    }

    // The 128-bit kernel's scratch: past the other kernels' (WinogradScratchLength).
    private ref float Scratch128(ref float scratch) =>
        ref Unsafe.Add(ref scratch, RoundUp(ActivationOffset + OutLength, 16) + WinogradScratchLength - RoundUp(Math.Max(
            _winogradForward is { } f ? WinogradConv.ScratchLength43x128(in f) : 0, _winogradInput is { } i ? WinogradConv.ScratchLength43x128(in i) : 0), 16));

    private Span<float> WinogradScratch(ref float scratch, in WinogradShape shape) =>
        Planes(ref Unsafe.Add(ref scratch, RoundUp(ActivationOffset + OutLength, 16)), shape.ScratchLength);

    private static Span<float> Planes(ref float start, int length) => new(Unsafe.AsPointer(ref start), length);
}

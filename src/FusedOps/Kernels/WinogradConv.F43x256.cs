using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// Winograd F(4 × 4, 3 × 3) at 256 bits for the inference route (<see cref="RunUnpadded43x256{TAct}"/>): 6 × 6 input tiles with
/// Lavin and Gray's points 0, ±1, ±2, ∞, 36 products per 4 × 4 output tile and channel pair (2.25 per output where F(2 × 2, 3 × 3)
/// needs 4). Tiles in the lanes, 8 a vector, kept in the order the in-lane 4 × 4 transpose leaves them, [0 2 4 6 | 1 3 5 7]; the
/// input transform reads the unpadded planes directly (padding masked off the loads, rows outside the plane read a zero row), the
/// products are <see cref="Product256{TN}"/> on 16 tiles: two vectors of a row, or rows of at most 8 tiles two at a time (each
/// weight broadcast serves both; a lone row left at the end of a range takes <see cref="ProductOfOneVector256{TN}"/>), and
/// the output transform applies scale, shift, residual, activation and the MaxPool2d(2) before the transpose back to pixels.
/// A summation order of its own (not F(2 × 2, 3 × 3)'s bits, and a larger rounding error: see docs/performance-history.md, wt-f43);
/// each output is computed the same way whatever range of tile rows a call covers, so any split gives the same bits.
/// Training runs it too (Conv2dTrainer.Winograd.cs): the forward on the padded planes (padding 0), and the input gradient on the
/// output gradient's grid, whose planes are further apart than their rows × columns (<see cref="RunStrided43x256{TAct}"/>).
/// </content>
public static unsafe partial class WinogradConv
{
    // Bᵀ = [[4, 0, −5, 0, 1, 0], [0, −4, −4, 1, 1, 0], [0, 4, −4, −1, 1, 0], [0, −2, −1, 2, 1, 0], [0, 2, −1, −2, 1, 0], [0, 4, 0, −5, 0, 1]],
    // G = [[¼, 0, 0], [−⅙, −⅙, −⅙], [−⅙, ⅙, −⅙], [1⁄24, 1⁄12, ⅙], [1⁄24, −1⁄12, ⅙], [0, 0, 1]],
    // Aᵀ = [[1, 1, 1, 1, 1, 0], [0, 1, −1, 2, −2, 0], [0, 1, 1, 4, 4, 0], [0, 1, −1, 8, −8, 1]].
    private static readonly double[] G43 =
    {
        0.25, 0, 0,
        -1.0 / 6, -1.0 / 6, -1.0 / 6,
        -1.0 / 6, 1.0 / 6, -1.0 / 6,
        1.0 / 24, 1.0 / 12, 1.0 / 6,
        1.0 / 24, -1.0 / 12, 1.0 / 6,
        0, 0, 1,
    };

    /// <summary>Rows of 4 × 4 output tiles of <see cref="RunUnpadded43x256{TAct}"/>: ⌈OutHeight / 4⌉.</summary>
    public static int TileRows43(in WinogradShape shape) => (shape.OutHeight + 3) / 4;

    /// <summary>Floats of <see cref="Packed43"/>'s weights: [ξ = 36][input channel][OutPad].</summary>
    public static int PackedLength43(in WinogradShape shape) => 36 * shape.Channels * shape.OutPad;

    /// <summary>
    /// Floats of a thread's scratch for <see cref="RunUnpadded43x256{TAct}"/>: the transformed input [36][Channels][16 tiles or
    /// more], the products [36][16 channels][16 tiles], the transforms' staging, a zero row and the padded epilogue vectors.
    /// </summary>
    public static int ScratchLength43(in WinogradShape shape) =>
        (36 * VStep43(in shape)) + (36 * MStep43) + 288 + 64 + (2 * shape.OutPad);

    /// <summary>
    /// The weights <paramref name="w"/> ([OutChannels][Channels][3][3]) transformed for <see cref="RunUnpadded43x256{TAct}"/> into
    /// a new array (at <c>Freeze()</c>): U = G g Gᵀ (6 × 6, in double and rounded once) as [ξ][input channel][output channel,
    /// padded with zeros to OutPad], the order the products read.
    /// </summary>
    public static float[] Packed43(in WinogradShape shape, float[] w)
    {
        ArgumentNullException.ThrowIfNull(w);
        shape.Check();
        int cin = shape.Channels, cout = shape.OutChannels, pad = shape.OutPad;
        if (w.Length != cout * cin * 9)
        {
            throw new ArgumentException($"Expected {cout * cin * 9} weights, got {w.Length}.", nameof(w));
        }

        var packed = new float[PackedLength43(in shape)];
        if (!KernelWarmup.Active)
        {
            Pack43(in shape, w, packed, 0);
        }

        return packed;
    }

    /// <summary>
    /// <see cref="Packed43"/>'s transform into <paramref name="packed"/> (<see cref="PackedLength43"/> floats, the padding
    /// channels left as they are: zero in a new buffer), for the training forward's weights once per call: output channels
    /// 4 at a time in the lanes of a <see cref="Vector256{T}"/> of doubles, each lane <see cref="Packed43"/>'s operations in
    /// its order (no fused multiply-adds), so the same bits.
    /// </summary>
    public static void Pack43(in WinogradShape shape, ReadOnlySpan<float> w, Span<float> packed)
    {
        shape.Check();
        if (w.Length < shape.OutChannels * shape.Channels * 9 || packed.Length < PackedLength43(in shape))
        {
            throw new ArgumentException($"Expected {shape.OutChannels * shape.Channels * 9} weights and {PackedLength43(in shape)} floats of room.");
        }

        int from = 0;
        if (Avx.IsSupported)
        {
            from = shape.OutChannels & ~3;
            Pack43Lanes(in shape, w, packed, from);
        }

        Pack43(in shape, w, packed, from);
    }

    // Output channels [0, end) of Pack43, 4 a step.
    private static void Pack43Lanes(in WinogradShape shape, ReadOnlySpan<float> w, Span<float> packed, int end)
    {
        int cin = shape.Channels, pad = shape.OutPad, stride = cin * 9;
        Span<Vector256<double>> g = stackalloc Vector256<double>[9];
        Span<Vector256<double>> t = stackalloc Vector256<double>[18];
        for (int o = 0; o < end; o += 4)
        {
            for (int c = 0; c < cin; c++)
            {
                int at = (o * stride) + (c * 9);
                for (int k = 0; k < 9; k++)
                {
                    g[k] = Vector256.Create(w[at + k], w[at + stride + k], w[at + (2 * stride) + k], w[at + (3 * stride) + k]);
                }

                for (int i = 0; i < 6; i++)
                {
                    var g0 = Vector256.Create(G43[3 * i]);
                    var g1 = Vector256.Create(G43[(3 * i) + 1]);
                    var g2 = Vector256.Create(G43[(3 * i) + 2]);
                    for (int j = 0; j < 3; j++)
                    {
                        t[(3 * i) + j] = Vector256.Add(Vector256.Add(Vector256.Multiply(g0, g[j]), Vector256.Multiply(g1, g[3 + j])), Vector256.Multiply(g2, g[6 + j]));
                    }
                }

                for (int j = 0; j < 6; j++)
                {
                    var h0 = Vector256.Create(G43[3 * j]);
                    var h1 = Vector256.Create(G43[(3 * j) + 1]);
                    var h2 = Vector256.Create(G43[(3 * j) + 2]);
                    for (int i = 0; i < 6; i++)
                    {
                        Vector256<double> u = Vector256.Add(Vector256.Add(Vector256.Multiply(t[3 * i], h0), Vector256.Multiply(t[(3 * i) + 1], h1)), Vector256.Multiply(t[(3 * i) + 2], h2));
                        Avx.ConvertToVector128Single(u).StoreUnsafe(ref packed[(((((6 * i) + j) * cin) + c) * pad) + o]);
                    }
                }
            }
        }
    }

    // Output channels [from, OutChannels) of Packed43's transform, one at a time.
    private static void Pack43(in WinogradShape shape, ReadOnlySpan<float> w, Span<float> packed, int from)
    {
        int cin = shape.Channels, cout = shape.OutChannels, pad = shape.OutPad;
        Span<double> t = stackalloc double[18];
        for (int o = from; o < cout; o++)
        {
            for (int c = 0; c < cin; c++)
            {
                int at = ((o * cin) + c) * 9;

                // t = G g (6 × 3), then U = t Gᵀ (6 × 6).
                for (int i = 0; i < 6; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        t[(3 * i) + j] = (G43[3 * i] * w[at + j]) + (G43[(3 * i) + 1] * w[at + 3 + j]) + (G43[(3 * i) + 2] * w[at + 6 + j]);
                    }
                }

                for (int i = 0; i < 6; i++)
                {
                    for (int j = 0; j < 6; j++)
                    {
                        double u = (t[3 * i] * G43[3 * j]) + (t[(3 * i) + 1] * G43[(3 * j) + 1]) + (t[(3 * i) + 2] * G43[(3 * j) + 2]);
                        packed[(((((6 * i) + j) * cin) + c) * pad) + o] = (float)u;
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="RunUnpadded256{TAct}"/> on F(4 × 4, 3 × 3): tile rows [<paramref name="tileRow0"/>, <paramref name="tileRow1"/>)
    /// of 4 output rows each (<see cref="TileRows43"/>) of one unpadded sample, <c>y = act(scale·conv + shift + res)</c>, with
    /// <paramref name="pool"/> (even OutHeight and OutWidth) max-pooled 2 × 2. <paramref name="w"/> is <see cref="Packed43"/>'s,
    /// <paramref name="scratch"/> has <see cref="ScratchLength43"/> floats. Needs <see cref="Enabled256"/>.
    /// </summary>
    public static void RunUnpadded43x256<TAct>(
        TAct act, in WinogradShape shape, int padding, ref float x, ref float w, ref float scale, ref float shift, ref float y, ref float res,
        bool residual, bool pool, ref float scratch, int tileRow0, int tileRow1)
        where TAct : struct, IActivationOperator =>
        RunStrided43x256(
            act, in shape, padding, ref x, (shape.InHeight - (2 * padding)) * (shape.InWidth - (2 * padding)), ref w, ref scale, ref shift, ref y, ref res,
            residual, pool, ref scratch, tileRow0, tileRow1);

    /// <summary>
    /// <see cref="RunUnpadded43x256{TAct}"/> with the input planes <paramref name="inPlane"/> floats apart (at least their rows ×
    /// columns; the rows stay one plane row apart), the same operations, so the same bits as planes one after another: the
    /// training input gradient reads the output gradient's grid this way (Conv2dTrainer.Winograd.cs: each plane padded by one,
    /// Lz apart).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunStrided43x256<TAct>(
        TAct act, in WinogradShape shape, int padding, ref float x, int inPlane, ref float w, ref float scale, ref float shift, ref float y, ref float res,
        bool residual, bool pool, ref float scratch, int tileRow0, int tileRow1)
        where TAct : struct, IActivationOperator
    {
        CheckUnpadded256(in shape, pool, tileRow0, tileRow1, TileRows43(in shape));
        if (inPlane < (shape.InHeight - (2 * padding)) * (shape.InWidth - (2 * padding)))
        {
            throw new ArgumentOutOfRangeException(nameof(inPlane), $"Expected planes at least {(shape.InHeight - (2 * padding)) * (shape.InWidth - (2 * padding))} floats apart, got {inPlane}.");
        }

        fixed (float* px = &x, pw = &w, ps = &scale, ph = &shift, py = &y, pr = &res, pb = &scratch)
        {
            var run = new Call43(in shape, padding, px, inPlane, pw, py, residual ? pr : null, pool, pb);
            for (int o = 0; o < shape.OutPad; o++)
            {
                run.Scale[o] = o < shape.OutChannels ? ps[o] : 0f;
                run.Shift[o] = o < shape.OutChannels ? ph[o] : 0f;
            }

            new Span<float>(run.Zeros, 64).Clear();
            if (run.Quad)
            {
                // Rows of at most 4 tiles four at a time, two a vector (WinogradConv.F43Quad256.cs).
                for (int ty = tileRow0; ty < tileRow1; ty += 4)
                {
                    Quad43x256(act, in run, ty, Math.Min(4, tileRow1 - ty));
                }

                return;
            }

            for (int ty = tileRow0; ty < tileRow1; ty += run.Paired ? 2 : 1)
            {
                // Rows of at most 8 tiles two at a time (the second in V's tiles 8 … 15) where the range holds both.
                bool two = run.Paired && ty + 1 < tileRow1;
                InputRow43x256(in run, ty, 0);
                if (two)
                {
                    InputRow43x256(in run, ty + 1, 8);
                }

                Row43x256(act, in run, ty, two);
            }
        }
    }

    // Tiles a row rounded up to 16 (Product256's two vectors); rows of at most 8 tiles are paired, 8 slots each.
    private static int TilePad43(in WinogradShape shape) => (((shape.OutWidth + 3) / 4) + 15) & ~15;

    // A cache line more than a ξ's transformed input (as VStep).
    private static int VStep43(in WinogradShape shape) => (shape.Channels * TilePad43(in shape)) + 16;

    // A ξ's products of 16 output channels and a chunk of 16 tiles, a cache line more.
    private const int MStep43 = (16 * 16) + 16;

    // One call's pointers and the scratch carved into its buffers.
    private readonly struct Call43
    {
        public readonly WinogradShape Shape;
        public readonly float* Input, Weights, Output, Residual, V, M, T, Zeros, Scale, Shift;
        public readonly int Padding, Height, Width, InPlane, OutPlane, OutRow, TilePad, Tiles, VStep, MStep;
        public readonly bool Pool;

        // Whether a row has at most 8 tiles (one vector): two tile rows a pass then, row ty in V's tiles 0 … 7 and ty + 1 in 8 … 15.
        public readonly bool Paired;

        // Whether a row has at most 4 tiles (half a vector) and the epilogue is plain: four tile rows a pass then, two a vector
        // (WinogradConv.F43Quad256.cs, Flat43).
        public readonly bool Quad;

        public Call43(in WinogradShape shape, int padding, float* input, int inPlane, float* weights, float* output, float* residual, bool pool, float* scratch)
        {
            Shape = shape;
            Padding = padding;
            Height = shape.InHeight - (2 * padding);
            Width = shape.InWidth - (2 * padding);
            InPlane = inPlane;
            Input = input;
            Weights = weights;
            Output = output;
            Residual = residual;
            Pool = pool;
            OutPlane = pool ? shape.OutHeight * shape.OutWidth / 4 : shape.OutHeight * shape.OutWidth;
            OutRow = pool ? shape.OutWidth / 2 : shape.OutWidth;
            TilePad = TilePad43(in shape);
            Tiles = (shape.OutWidth + 3) / 4;
            Paired = Tiles <= 8;
            Quad = Flat43 && Tiles <= 4 && !pool && residual == null;
            VStep = VStep43(in shape);
            MStep = MStep43;
            V = scratch;
            M = V + (36 * VStep);
            T = M + (36 * MStep);
            Zeros = T + 288;
            Scale = Zeros + 64;
            Shift = Scale + shape.OutPad;
        }
    }

    // V[ξ = 6i + j][c][slot + tile] for the tiles of tile row ty (8 at a time, in the order [0 2 4 6 | 1 3 5 7] within each 8): tile
    // t's 6 × 6 input is the padded rows 4·ty … 4·ty + 5 and columns 4t … 4t + 5, that is unpadded ones less `padding`, zeros outside
    // the plane. Each input row's transform (d B) is staged in T, then each column's (Bᵀ ·) goes to V.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputRow43x256(in Call43 run, int ty, int slot)
    {
        int cin = run.Shape.Channels, tp = run.TilePad, width = run.Width, r0 = (4 * ty) - run.Padding;
        int blocks = run.Paired ? 8 : tp;
        nint step = run.VStep, plane = run.InPlane;
        float* zeros = run.Zeros, stage = run.T;
        nint* rows = stackalloc nint[6];
        for (int i = 0; i < 6; i++)
        {
            rows[i] = Offset(r0 + i, run.Height, width);
        }

        for (int t = 0; t < blocks; t += 8)
        {
            // The block's columns: 4t − padding onwards, loads at +0, +8, +16, +24 (columns 0…3 of each tile) and +4, +12, +20, +28
            // (columns 4 and 5).
            int s = (4 * t) - run.Padding;
            bool whole = s >= 0 && s + 36 <= width;
            var masks = new Masks43(s, width);
            for (int c = 0; c < cin; c++)
            {
                float* p = run.Input + (c * plane) + s, v = run.V + ((nint)c * tp) + slot + t;
                for (int i = 0; i < 6; i++)
                {
                    float* at = rows[i] < 0 ? zeros : p + rows[i];
                    if (whole)
                    {
                        RowTransform43(at, stage + (48 * i), false, in masks);
                    }
                    else
                    {
                        RowTransform43(at, stage + (48 * i), true, in masks);
                    }
                }

                ColumnTransforms43(stage, v, step);
            }
        }
    }

    // Bᵀ · of each of the 6 staged columns (rows 48 floats apart in `stage`) to V (ξ = 6i + j at v + ξ·step).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ColumnTransforms43(float* stage, float* v, nint step)
    {
        for (int j = 0; j < 6; j++)
        {
            float* e = stage + (8 * j);
            Transform43(
                Vector256.Load(e), Vector256.Load(e + 48), Vector256.Load(e + 96), Vector256.Load(e + 144), Vector256.Load(e + 192), Vector256.Load(e + 240),
                out var b0, out var b1, out var b2, out var b3, out var b4, out var b5);
            float* vj = v + (j * step);
            Vector256.Store(b0, vj);
            Vector256.Store(b1, vj + (6 * step));
            Vector256.Store(b2, vj + (12 * step));
            Vector256.Store(b3, vj + (18 * step));
            Vector256.Store(b4, vj + (24 * step));
            Vector256.Store(b5, vj + (30 * step));
        }
    }

    // Which lanes of each of a block's 8 loads are inside the row (all ones).
    [StructLayout(LayoutKind.Auto)]
    private readonly struct Masks43
    {
        public readonly Vector256<float> M0, M8, M16, M24, M4, M12, M20, M28;

        public Masks43(int s, int width)
        {
            M0 = Columns(s, width);
            M8 = Columns(s + 8, width);
            M16 = Columns(s + 16, width);
            M24 = Columns(s + 24, width);
            M4 = Columns(s + 4, width);
            M12 = Columns(s + 12, width);
            M20 = Columns(s + 20, width);
            M28 = Columns(s + 28, width);
        }
    }

    // One input row of 8 tiles (from the block's first column `at`): its columns 4t + k (k = 0…5) de-interleaved, then d B, the
    // six vectors to e[8j].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTransform43(float* at, float* e, bool masked, in Masks43 m) =>
        RowTransform43(at, at + 16, e, masked, m.M0, m.M8, m.M16, m.M24, m.M4, m.M12, m.M20, m.M28);

    // RowTransform43 with tiles 0 … 3 from `a` and tiles 4 … 7 from `b` (each 16 columns, masks of their loads at +0, +8, +4, +12).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTransform43(
        float* a, float* b, float* e, bool masked, Vector256<float> ma0, Vector256<float> ma8, Vector256<float> mb0, Vector256<float> mb8,
        Vector256<float> ma4, Vector256<float> ma12, Vector256<float> mb4, Vector256<float> mb12)
    {
        Vector256<float> a0, a1, a2, a3, b0, b1, b2, b3;
        if (masked)
        {
            a0 = Avx.MaskLoad(a, ma0);
            a1 = Avx.MaskLoad(a + 8, ma8);
            a2 = Avx.MaskLoad(b, mb0);
            a3 = Avx.MaskLoad(b + 8, mb8);
            b0 = Avx.MaskLoad(a + 4, ma4);
            b1 = Avx.MaskLoad(a + 12, ma12);
            b2 = Avx.MaskLoad(b + 4, mb4);
            b3 = Avx.MaskLoad(b + 12, mb12);
        }
        else
        {
            a0 = Vector256.Load(a);
            a1 = Vector256.Load(a + 8);
            a2 = Vector256.Load(b);
            a3 = Vector256.Load(b + 8);
            b0 = Vector256.Load(a + 4);
            b1 = Vector256.Load(a + 12);
            b2 = Vector256.Load(b + 4);
            b3 = Vector256.Load(b + 12);
        }

        Transpose4InLanes(ref a0, ref a1, ref a2, ref a3);

        // Columns 4 and 5 of tile t are columns 0 and 1 of tile t + 1: the loads 4 floats on, half the transpose.
        Vector256<float> l = Avx.UnpackLow(b0, b1), h = Avx.UnpackLow(b2, b3);
        Transform43(a0, a1, a2, a3, Avx.Shuffle(l, h, 0x44), Avx.Shuffle(l, h, 0xEE), out var r0, out var r1, out var r2, out var r3, out var r4, out var r5);
        Vector256.Store(r0, e);
        Vector256.Store(r1, e + 8);
        Vector256.Store(r2, e + 16);
        Vector256.Store(r3, e + 24);
        Vector256.Store(r4, e + 32);
        Vector256.Store(r5, e + 40);
    }

    // The 4 × 4 transpose within each 128-bit lane: [x0 | y0], [x1 | y1], [x2 | y2], [x3 | y3] (4 floats each) become their columns.
    // Its own inverse: from pixels (4 consecutive per tile) to tile columns in the order [0 2 4 6 | 1 3 5 7] and back.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4InLanes(ref Vector256<float> a, ref Vector256<float> b, ref Vector256<float> c, ref Vector256<float> d)
    {
        Vector256<float> l0 = Avx.UnpackLow(a, b), h0 = Avx.UnpackHigh(a, b), l1 = Avx.UnpackLow(c, d), h1 = Avx.UnpackHigh(c, d);
        a = Avx.Shuffle(l0, l1, 0x44);
        b = Avx.Shuffle(l0, l1, 0xEE);
        c = Avx.Shuffle(h0, h1, 0x44);
        d = Avx.Shuffle(h0, h1, 0xEE);
    }

    // Bᵀ applied to six vectors d0…d5 (a row's columns or a column's rows).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transform43(
        Vector256<float> d0, Vector256<float> d1, Vector256<float> d2, Vector256<float> d3, Vector256<float> d4, Vector256<float> d5,
        out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2, out Vector256<float> r3, out Vector256<float> r4, out Vector256<float> r5) =>
        Transform43<Vector256<float>, Lanes256>(d0, d1, d2, d3, d4, d5, out r0, out r1, out r2, out r3, out r4, out r5);

    // Bᵀ applied to six vectors of any width (TL's operations, fused as Simd.Fma fuses).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transform43<T, TL>(T d0, T d1, T d2, T d3, T d4, T d5, out T r0, out T r1, out T r2, out T r3, out T r4, out T r5)
        where T : struct
        where TL : ILanes<T>
    {
        T four = TL.Create(4f), minusFour = TL.Create(-4f), minusFive = TL.Create(-5f), two = TL.Create(2f);
        T p = TL.Fma(minusFour, d2, d4), q = TL.Fma(minusFour, d1, d3), s = TL.Subtract(d4, d2), u = TL.Multiply(two, TL.Subtract(d3, d1));
        r0 = TL.Fma(four, d0, TL.Fma(minusFive, d2, d4));
        r1 = TL.Add(p, q);
        r2 = TL.Subtract(p, q);
        r3 = TL.Add(s, u);
        r4 = TL.Subtract(s, u);
        r5 = TL.Fma(four, d1, TL.Fma(minusFive, d3, d5));
    }

    // Aᵀ applied to six vectors m0…m5: four.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Output43(
        Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3, Vector256<float> m4, Vector256<float> m5,
        out Vector256<float> y0, out Vector256<float> y1, out Vector256<float> y2, out Vector256<float> y3) =>
        Output43<Vector256<float>, Lanes256>(m0, m1, m2, m3, m4, m5, out y0, out y1, out y2, out y3);

    // Aᵀ applied to six vectors of any width.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Output43<T, TL>(T m0, T m1, T m2, T m3, T m4, T m5, out T y0, out T y1, out T y2, out T y3)
        where T : struct
        where TL : ILanes<T>
    {
        T a = TL.Add(m1, m2), b = TL.Subtract(m1, m2), c = TL.Add(m3, m4), d = TL.Subtract(m3, m4);
        y0 = TL.Add(TL.Add(m0, a), c);
        y1 = TL.Fma(TL.Create(2f), d, b);
        y2 = TL.Fma(TL.Create(4f), c, a);
        y3 = TL.Add(TL.Fma(TL.Create(8f), d, b), m5);
    }

    // One tile row, or with `two` rows ty and ty + 1 (V's tiles 0 … 7 and 8 … 15): per 16 output channels and chunk of 16 tiles, the
    // 36 products (M[ξ][k][tile], ξ MStep apart), then the output transform and epilogue of each vector of 8 tiles.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row43x256<TAct>(TAct act, in Call43 run, int ty, bool two)
        where TAct : struct, IActivationOperator
    {
        int cin = run.Shape.Channels, pad = run.Shape.OutPad, tp = run.TilePad;
        for (int o0 = 0; o0 < pad; o0 += 16)
        {
            int o1 = Math.Min(16, run.Shape.OutChannels - o0);
            for (int t0 = 0; t0 < run.Tiles; t0 += 16)
            {
                for (int xi = 0; xi < 36; xi++)
                {
                    float* v = run.V + ((nint)xi * run.VStep) + t0, u = run.Weights + ((nint)xi * cin * pad) + o0, m = run.M + ((nint)xi * run.MStep);
                    if (run.Paired && !two)
                    {
                        // One tile row of at most 8 tiles: one vector (each lane's sums are Product256's).
                        ProductsOfOneVector256(v, tp, u, pad, cin, m, Math.Min(16, (o1 + 3) & ~3), 16);
                    }
                    else
                    {
                        ProductsOfTwoVectors256(v, tp, u, pad, cin, m, o1);
                    }
                }

                // The chunk's vectors: tiles t0 and t0 + 8 of row ty, or tiles 0 of rows ty and ty + 1.
                Output43x256(act, in run, ty, o0, o1, t0, 0);
                if (two)
                {
                    Output43x256(act, in run, ty + 1, o0, o1, 0, 8);
                }
                else if (t0 + 8 < run.Tiles)
                {
                    Output43x256(act, in run, ty, o0, o1, t0 + 8, 8);
                }
            }
        }
    }

    // The output transform and epilogue of the vector of 8 tiles from `tile` in row ty (products at M's `half`), the epilogue's kind.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Output43x256<TAct>(TAct act, in Call43 run, int ty, int o0, int o1, int tile, int half)
        where TAct : struct, IActivationOperator
    {
        if (run.Pool || run.Residual != null)
        {
            Output43x256<TAct, RichEpilogue>(act, in run, ty, o0, o1, tile, half);
        }
        else
        {
            Output43x256<TAct, PlainEpilogue>(act, in run, ty, o0, o1, tile, half);
        }
    }

    // Y = Aᵀ M A of the 8 tiles from `tile` in row ty (their products at M's `half` of the chunk) for channels o0 … o0 + o1 − 1: the
    // columns of each output row staged in T (Aᵀ ·), then per row · A, scale · y + shift, the residual, the activation, and the 32
    // pixels (or with the pool the 16 pooled ones of two rows) stored.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Output43x256<TAct, TEpilogue>(TAct act, in Call43 run, int ty, int o0, int o1, int tile, int half)
        where TAct : struct, IActivationOperator
        where TEpilogue : struct, IEpilogue
    {
        int rows = Math.Min(4, run.Shape.OutHeight - (4 * ty)), ow = run.Shape.OutWidth, count = Math.Min(32, ow - (4 * tile));
        nint ms = run.MStep;
        float* stage = run.T;
        for (int k = 0; k < o1; k++)
        {
            int o = o0 + k;
            Vector256<float> a = Vector256.Create(run.Scale[o]), h = Vector256.Create(run.Shift[o]);
            StageOutput43(run.M + (16 * k) + half, ms, stage);

            float* y = run.Output + ((nint)o * run.OutPlane) + (TEpilogue.Rich && run.Pool ? (nint)(2 * ty) * run.OutRow + (2 * tile) : ((nint)(4 * ty) * run.OutRow) + (4 * tile));
            float* r = TEpilogue.Rich && run.Residual != null
                ? run.Residual + ((nint)o * run.Shape.OutHeight * ow) + ((nint)(4 * ty) * ow) + (4 * tile) : null;
            for (int i = 0; i < rows; i += 2)
            {
                OutputRow43(stage + (48 * i), a, h, out var y0, out var y1, out var y2, out var y3);
                OutputRow43(stage + (48 * (i + 1)), a, h, out var z0, out var z1, out var z2, out var z3);
                if (!TEpilogue.Rich)
                {
                    StoreRow43(y + ((nint)i * run.OutRow), count, act.Invoke(y0), act.Invoke(y1), act.Invoke(y2), act.Invoke(y3));
                    if (i + 1 < rows)
                    {
                        StoreRow43(y + ((nint)(i + 1) * run.OutRow), count, act.Invoke(z0), act.Invoke(z1), act.Invoke(z2), act.Invoke(z3));
                    }

                    continue;
                }

                if (r != null)
                {
                    AddResidual43(r + ((nint)i * ow), count, ref y0, ref y1, ref y2, ref y3);
                    if (i + 1 < rows)
                    {
                        AddResidual43(r + ((nint)(i + 1) * ow), count, ref z0, ref z1, ref z2, ref z3);
                    }
                }

                y0 = act.Invoke(y0);
                y1 = act.Invoke(y1);
                y2 = act.Invoke(y2);
                y3 = act.Invoke(y3);
                z0 = act.Invoke(z0);
                z1 = act.Invoke(z1);
                z2 = act.Invoke(z2);
                z3 = act.Invoke(z3);
                if (run.Pool)
                {
                    // Both rows exist (even height), `count` is even; pooled columns 2t and 2t + 1, interleaved into pixel order.
                    Vector256<float> p0 = ConvHelpers.PoolMax(ConvHelpers.PoolMax(y0, z0), ConvHelpers.PoolMax(y1, z1));
                    Vector256<float> p1 = ConvHelpers.PoolMax(ConvHelpers.PoolMax(y2, z2), ConvHelpers.PoolMax(y3, z3));
                    Vector256<float> lo = Avx2.Permute4x64(Avx.UnpackLow(p0, p1).AsDouble(), 0xD8).AsSingle();
                    Vector256<float> hi = Avx2.Permute4x64(Avx.UnpackHigh(p0, p1).AsDouble(), 0xD8).AsSingle();
                    float* yp = y + ((nint)(i / 2) * run.OutRow);
                    StorePartial256x2(yp, count / 2, lo, hi);
                    continue;
                }

                StoreRow43(y + ((nint)i * run.OutRow), count, y0, y1, y2, y3);
                if (i + 1 < rows)
                {
                    StoreRow43(y + ((nint)(i + 1) * run.OutRow), count, z0, z1, z2, z3);
                }
            }
        }
    }

    // Aᵀ · of the products' 6 columns (ξ = 6i + j at m + ξ·ms): each output row's 6 columns to `stage`, rows 48 floats apart.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StageOutput43(float* m, nint ms, float* stage)
    {
        for (int j = 0; j < 6; j++)
        {
            float* mj = m + (j * ms);
            Output43(
                Vector256.Load(mj), Vector256.Load(mj + (6 * ms)), Vector256.Load(mj + (12 * ms)), Vector256.Load(mj + (18 * ms)),
                Vector256.Load(mj + (24 * ms)), Vector256.Load(mj + (30 * ms)), out var c0, out var c1, out var c2, out var c3);
            Vector256.Store(c0, stage + (8 * j));
            Vector256.Store(c1, stage + 48 + (8 * j));
            Vector256.Store(c2, stage + 96 + (8 * j));
            Vector256.Store(c3, stage + 144 + (8 * j));
        }
    }

    // One output row of 8 tiles from its staged columns: · A, then scale · y + shift; columns 4t + q in y_q.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputRow43(
        float* e, Vector256<float> a, Vector256<float> h, out Vector256<float> y0, out Vector256<float> y1, out Vector256<float> y2, out Vector256<float> y3)
    {
        Output43(
            Vector256.Load(e), Vector256.Load(e + 8), Vector256.Load(e + 16), Vector256.Load(e + 24), Vector256.Load(e + 32), Vector256.Load(e + 40),
            out y0, out y1, out y2, out y3);
        y0 = Simd.Fma(y0, a, h);
        y1 = Simd.Fma(y1, a, h);
        y2 = Simd.Fma(y2, a, h);
        y3 = Simd.Fma(y3, a, h);
    }

    // The residual's `count` pixels at r, de-interleaved into the tile columns, added.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddResidual43(
        float* r, int count, ref Vector256<float> y0, ref Vector256<float> y1, ref Vector256<float> y2, ref Vector256<float> y3)
    {
        Vector256<float> a = LoadPartial256(r, count), b = LoadPartial256(r + 8, count - 8);
        Vector256<float> c = LoadPartial256(r + 16, count - 16), d = LoadPartial256(r + 24, count - 24);
        Transpose4InLanes(ref a, ref b, ref c, ref d);
        y0 += a;
        y1 += b;
        y2 += c;
        y3 += d;
    }

    // Columns 4t + q (y_q) of 8 tiles as 32 pixels, the first `count` (1…32) to y.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow43(float* y, int count, Vector256<float> y0, Vector256<float> y1, Vector256<float> y2, Vector256<float> y3)
    {
        Transpose4InLanes(ref y0, ref y1, ref y2, ref y3);
        if (count == 32)
        {
            Vector256.Store(y0, y);
            Vector256.Store(y1, y + 8);
            Vector256.Store(y2, y + 16);
            Vector256.Store(y3, y + 24);
            return;
        }

        StorePartial256x2(y, count, y0, y1);
        StorePartial256x2(y + 16, count - 16, y2, y3);
    }

    // The first `count` floats of lo, hi (16; none at or below 0) to y.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePartial256x2(float* y, int count, Vector256<float> lo, Vector256<float> hi)
    {
        if (count >= 16)
        {
            Vector256.Store(lo, y);
            Vector256.Store(hi, y + 8);
        }
        else if (count >= 8)
        {
            Vector256.Store(lo, y);
            if (count > 8)
            {
                StorePartial256(y + 8, count - 8, hi);
            }
        }
        else if (count > 0)
        {
            StorePartial256(y, count, lo);
        }
    }
}

using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace FusedOps.Kernels;

/// <summary>
/// The training passes of one stride-1, ungrouped Conv2d layer (NCHW, float32), split over samples:
/// forward (conv + bias, with the per-channel Σ and Σ² of the conv output for BatchNorm), and backward
/// (dW, dB, dX). Each sample is computed on the padded-width grid, where every tap is a constant shift
/// (see <see cref="ShiftedConv"/>), so no im2col is built.
/// </summary>
/// <remarks>
/// The batch is cut into at most <see cref="MaxParts"/> parts by <see cref="ParallelWork.Slice"/>, a function of the
/// batch size only; each part sums its samples in order into its own partial buffers, and the partial sums
/// are added in part order. So weight and bias gradients and the channel sums are bitwise identical for
/// any <see cref="KernelOptions.MaxDegreeOfParallelism"/>. Not thread-safe (one per layer of a training model);
/// nothing is allocated per call after the first at a given batch size.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe partial class Conv2dTrainer : ParallelJob
{
    /// <summary>Most parts a batch is cut into.</summary>
    public const int MaxParts = 8;

    private const long MinFlopsPerThread = 1_000_000;

    private readonly int _c, _h, _w, _oc, _pad, _wp, _oh, _ow, _kk, _kc;
    private readonly int _q, _qp, _m, _qxp, _lz, _xpLength, _gridOffset;
    private readonly int[] _tapOffsets;
    private readonly int[] _inputOffsets;
    private readonly float[] _transposed;

    // The weights packed for ShiftedConv.Product once per call: as they are (forward), and transposed (input gradient).
    private readonly float[] _packedForward, _packedInput;

    // Where the input gradient's valid lanes go when it is cropped as it is stored (ShiftedConv.CanCrop).
    private readonly GridCrop _inputCrop;

    // Scratch per slot, not per part: a slot is held by one thread while it runs a part, so parts run one after another
    // on one thread reuse one warm buffer (per part, 8 parts of a batch cycled 8 buffers through the cache). Each starts
    // on a 64-byte boundary, so the products' stores and the packed gradient's loads never split a cache line.
    private readonly float[]?[] _slots = new float[MaxParts][];
    private readonly int[] _slotStarts = new int[MaxParts];
    private int _slotsBusy;
    private readonly int[] _gradientPositions;
    private WeightGradientLayout _gradientLayout;
    private readonly float[] _partialWeights;
    private readonly double[] _partialSums;

    // The call in progress (Execute runs its parts on any thread).
    private bool _backward;
    private int _n, _parts;
    private float[] _input = [], _output = [];
    private float[]? _bias;
    private float* _dz, _dx;
    private bool _wantInput;

    // The forward pads into the kept planes, or the backward reads them (see Conv2dTrainer.Kept.cs).
    private bool _keep;

    // BatchNorm's input gradient formed on the way onto the grid (see the Backward overload that takes it).
    private readonly float[] _normK, _normA, _normB, _normMean, _normInvStd;
    private float[]? _normZ;

    /// <summary>A layer's geometry: input channels and plane, output channels, kernel side, padding and dilation (stride 1, one group).</summary>
    public Conv2dTrainer(int channels, int height, int width, int outChannels, int kernel, int padding, int dilation)
    {
        (_c, _h, _w, _oc, _pad) = (channels, height, width, outChannels, padding);
        int hp = height + (2 * padding), span = dilation * (kernel - 1), plane = hp * (width + (2 * padding));
        _wp = width + (2 * padding);
        (_oh, _ow) = (hp - span, _wp - span);
        _kk = kernel * kernel;
        _kc = channels * _kk;
        _q = _oh * _wp;
        _qp = RoundUp(_q, ShiftedConv.Columns);
        _m = span * (_wp + 1);
        _qxp = RoundUp(height * _wp, ShiftedConv.Columns);
        _lz = RoundUp(_m + Math.Max(_q, (padding + height) * _wp) + ShiftedConv.Columns, ShiftedConv.Positions);
        _xpLength = (channels * plane) + (_qp - _q) + span + ShiftedConv.Columns;
        _gridOffset = _xpLength + (outChannels * _lz);
        _tapOffsets = new int[_kc];
        _inputOffsets = new int[outChannels * _kk];
        for (int kh = 0; kh < kernel; kh++)
        {
            for (int kw = 0; kw < kernel; kw++)
            {
                int t = (kh * kernel) + kw, shift = dilation * ((kh * _wp) + kw);
                for (int ci = 0; ci < channels; ci++)
                {
                    _tapOffsets[(ci * _kk) + t] = (ci * plane) + shift;
                }

                for (int o = 0; o < outChannels; o++)
                {
                    _inputOffsets[(o * _kk) + t] = (o * _lz) + _m - shift;
                }
            }
        }

        _transposed = new float[_kc * outChannels];
        _packedForward = new float[ShiftedConv.PackedLength(outChannels, _kc)];
        _packedInput = new float[ShiftedConv.PackedLength(channels, outChannels * _kk)];
        _inputCrop = new GridCrop(height, width, padding, _wp, _qxp);
        int minPixels = channels % 16 == 0 ? MinWinogradPixels : MinWinogradPixelsOnGridWeights;
        _winogradForward = WinogradFor(channels, outChannels, _oh, _ow, kernel, padding, dilation, minPixels);
        _winogradInput = WinogradFor(outChannels, channels, height, width, kernel, padding, dilation, minPixels);
        _forward43Shape = Shape43(_winogradForward);
        _input43Shape = Shape43(_winogradInput);
        (_flat43Forward, _flat43Input) = (Flat43Shape(_winogradForward), Flat43Shape(_winogradInput));
        _gradientPositions = new int[_oh * _ow];
        _partialWeights = new float[MaxParts * outChannels * _kc];
        _partialSums = new double[MaxParts * 3 * outChannels];
        (_normK, _normA, _normB, _normMean, _normInvStd) = (new float[outChannels], new float[outChannels], new float[outChannels], new float[outChannels], new float[outChannels]);
    }

    private int InLength => _c * _h * _w;

    private int OutLength => _oc * _oh * _ow;

    // Where a part's scratch holds one sample's dz after the activation's derivative (past the grids).
    private int ActivationOffset => _gridOffset + Math.Max(_oc * _qp, _c * _qxp);

    /// <summary>
    /// <c>output = conv(input) + bias</c> for <paramref name="n"/> samples; when <paramref name="sum"/> is given,
    /// it and <paramref name="sumSq"/> are set to Σ and Σ² per channel of the conv output before the bias.
    /// </summary>
    public void Forward(float[] input, float[] weight, float[]? bias, float[] output, int n, double[]? sum, double[]? sumSq)
    {
        (_backward, _input, _bias, _output, _n) = (false, input, bias, output, n);
        _keep = PrepareKept(n);
        PrepareWinogradForward(weight);
        if (!_onWinograd)
        {
            ShiftedConv.Pack(ref weight[0], _kc, _oc, _kc, ref _packedForward[0]);
        }

        Run(2L * n * _oc * _kc * _oh * _ow);
        if (_keep)
        {
            (_keptInput, _keptN) = (input, n);
        }

        if (sum is not null && sumSq is not null)
        {
            for (int o = 0; o < _oc; o++)
            {
                double a = 0, b = 0;
                for (int p = 0; p < _parts; p++)
                {
                    a += _partialSums[(((p * 3) + 0) * _oc) + o];
                    b += _partialSums[(((p * 3) + 1) * _oc) + o];
                }

                sum[o] = a;
                sumSq[o] = b;
            }
        }

        (_input, _output, _bias) = ([], [], null);
    }

    /// <summary>
    /// Adds dW (and dB when <paramref name="biasGrad"/> is given) for the output gradient <paramref name="dz"/> of
    /// the last Forward's <paramref name="input"/>; writes dX to <paramref name="dx"/> when <paramref name="wantInput"/>.
    /// </summary>
    public void Backward(float[] input, ref float dz, float[] weight, float[] weightGrad, float[]? biasGrad, ref float dx, bool wantInput, int n)
    {
        if (weightGrad.Length < _oc * _kc)
        {
            throw new ArgumentException($"weightGrad needs {_oc * _kc} values (out channels × in channels × taps), but has {weightGrad.Length}.", nameof(weightGrad));
        }

        CheckInputSums(n, wantInput);
        PrepareWinogradInput(weight, wantInput);
        if (wantInput && !_onWinograd)
        {
            // dX is the forward product on the output gradient with the weights transposed: [ci][o·k² + tap].
            for (int o = 0; o < _oc; o++)
            {
                for (int ci = 0; ci < _c; ci++)
                {
                    for (int t = 0; t < _kk; t++)
                    {
                        _transposed[(ci * _oc * _kk) + (o * _kk) + t] = weight[(o * _kc) + (ci * _kk) + t];
                    }
                }
            }

            ShiftedConv.Pack(ref _transposed[0], _oc * _kk, _c, _oc * _kk, ref _packedInput[0]);
        }

        // The weight gradient's packed form at the current width, and where each of its steps reads the padded input.
        PrepareWinogradWeights();
        if (!_weightsOnWinograd)
        {
            _gradientLayout = ShiftedConv.WeightGradientLayoutFor(_oc, _oh, _ow);
            ShiftedConv.GradientPositions(in _gradientLayout, _wp, _gradientPositions);
        }

        fixed (float* pdz = &dz, pdx = &dx)
        {
            (_backward, _input, _wantInput, _n) = (true, input, wantInput, n);
            _keep = HasKept(input, n);
            _dz = pdz;
            _dx = pdx;
            try
            {
                Run(4L * n * _oc * _kc * _oh * _ow);
            }
            finally
            {
                _dz = null;
                _dx = null;
                _input = [];
                _inputSums = null;
            }
        }

        AddPartialWeights(weightGrad);

        if (biasGrad is not null)
        {
            for (int o = 0; o < _oc; o++)
            {
                double a = 0;
                for (int p = 0; p < _parts; p++)
                {
                    a += _partialSums[(((p * 3) + 2) * _oc) + o];
                }

                biasGrad[o] += (float)a;
            }
        }
    }

    /// <summary>
    /// <see cref="Backward(float[], ref float, float[], float[], float[], ref float, bool, int)"/> with a training-mode BatchNorm between
    /// this conv's output <paramref name="z"/> and the gradient <paramref name="du"/> at the BatchNorm's output: the conv's output
    /// gradient dz = γ·invStd·(dU − Σ dU/m − x̂·Σ dU·x̂/m), x̂ = (z − μ)·invStd, is formed per sample as it goes onto the grid, in
    /// <see cref="Norm.BackwardApply"/>'s arithmetic (the same bits), so it is never stored and read back.
    /// </summary>
    public void Backward(float[] input, ref float du, float[] z, ReadOnlySpan<float> gamma, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
        ReadOnlySpan<double> sumDu, ReadOnlySpan<double> sumDuXhat, long count, float[] weight, float[] weightGrad, float[]? biasGrad, ref float dx, bool wantInput, int n)
    {
        for (int o = 0; o < _oc; o++)
        {
            _normK[o] = (gamma.IsEmpty ? 1f : gamma[o]) * invStd[o];
            _normA[o] = (float)(sumDu[o] / count);
            _normB[o] = (float)(sumDuXhat[o] / count);
            _normMean[o] = mean[o];
            _normInvStd[o] = invStd[o];
        }

        _normZ = z;
        try
        {
            Backward(input, ref du, weight, weightGrad, biasGrad, ref dx, wantInput, n);
        }
        finally
        {
            _normZ = null;
        }
    }

    /// <inheritdoc/>
    public override void Execute(int part)
    {
        int slot = ClaimSlot();
        try
        {
            ExecuteOn(part, ref SlotScratch(slot));
        }
        finally
        {
            Interlocked.And(ref _slotsBusy, ~(1 << slot));
        }
    }

    private void ExecuteOn(int part, ref float scratch)
    {
        (int s0, int s1) = ParallelWork.Slice(_n, _parts, part);
        Span<double> sums = _partialSums.AsSpan(part * 3 * _oc, 3 * _oc);
        sums.Clear();
        if (_backward)
        {
            int length = _oc * _kc;
            Span<float> dw = _partialWeights.AsSpan(part * length, length);
            dw.Clear();

            // The part's samples add, in order, into its partial sums (lanes of the packed layout, or Winograd's M), closed once per part.
            ref float packed = ref Unsafe.Add(ref scratch, ScratchLength);
            if (_weightsOnWinograd)
            {
                Span<float> m = Planes(ref packed, WinogradConv.WeightGradientSumsLength(_winogradForward!.Value));
                m.Clear();
                for (int s = s0; s < s1; s++)
                {
                    BackwardSample(s, part, ref scratch, ref packed, ref packed, sums.Slice(2 * _oc));
                }

                WinogradConv.CloseWeightGradient(_winogradForward!.Value, m, dw, _kc);
                return;
            }

            ref float gradientSums = ref Unsafe.Add(ref packed, RoundUp(_gradientLayout.PackedLength, 16));
            new Span<float>(Unsafe.AsPointer(ref gradientSums), _gradientLayout.SumsLength(_kc)).Clear();
            for (int s = s0; s < s1; s++)
            {
                BackwardSample(s, part, ref scratch, ref packed, ref gradientSums, sums.Slice(2 * _oc));
            }

            ShiftedConv.CloseWeightGradient(in _gradientLayout, ref gradientSums, _kc, ref dw[0], _kc);
        }
        else
        {
            for (int s = s0; s < s1; s++)
            {
                ForwardSample(s, ref scratch, sums);
            }
        }
    }

    private void Run(long flops)
    {
        _parts = Math.Min(_n, MaxParts);
        if (_parts > 1 && ParallelWork.ThreadsFor(flops, MinFlopsPerThread) > 1)
        {
            ParallelWork.Run(this, _parts);
            return;
        }

        for (int p = 0; p < _parts; p++)
        {
            Execute(p);
        }
    }

    private void ForwardSample(int s, ref float scratch, Span<double> sums)
    {
        ref float xp = ref _keep ? ref Kept(s) : ref scratch;
        PadInput(ref ForwardInput(s), ref xp);

        // An epilogue that does not keep z (Maxout) takes it from the scratch while it is in cache.
        ref float z = ref _epilogue is { KeepsZ: false } ? ref Unsafe.Add(ref scratch, ActivationOffset) : ref _output[s * OutLength];
        if (_onWinograd)
        {
            // The product lands in z's planes; the bias and the sums are taken there.
            WinogradForwardSample(ref xp, ref z, ref scratch);
            CropForward(ref z, _oh * _ow, _oh * _ow, ref z, sums, 1, _oh * _ow);
        }
        else
        {
            ref float grid = ref Unsafe.Add(ref scratch, _gridOffset);
            ShiftedConv.Product(ref _packedForward[0], _oc, _kc, ref xp, ref _tapOffsets[0], _qp, ref grid, _qp);
            CropForward(ref grid, _qp, _wp, ref z, sums, _oh, _ow);
        }

        _epilogue?.Forward(s, ref z);
    }

    // The grids, the activation's sample rounded to a whole cache line and the Winograd kernel's scratch: the packed gradient and its sums follow.
    private int ScratchLength => RoundUp(ActivationOffset + OutLength, 16) + WinogradScratchLength;

    private void BackwardSample(int s, int part, ref float scratch, ref float packed, ref float gradientSums, Span<double> biasSums)
    {
        ref float xp = ref _keep ? ref Kept(s) : ref scratch;
        ref float dzGrid = ref Unsafe.Add(ref scratch, _xpLength);
        ref float grid = ref Unsafe.Add(ref scratch, _gridOffset);
        // PooledBackward: _dz is the pooled gradient, read per plane by FillGradientGrid.
        scoped ref float dz = ref _pooledArgMax is null ? ref Unsafe.AsRef<float>(_dz + ((long)s * OutLength)) : ref Unsafe.NullRef<float>();
        if (_epilogue is { } epilogue)
        {
            dz = ref epilogue.Backward(s, part, ref Unsafe.Add(ref scratch, ActivationOffset));
        }

        FillGradientGrid(s, ref dz, ref _normZ is null ? ref Unsafe.NullRef<float>() : ref _normZ[s * OutLength], ref dzGrid, biasSums,
            ref Unsafe.Add(ref scratch, ActivationOffset));
        if (!_keep)
        {
            PadInput(ref _input[s * InLength], ref xp);
        }

        if (_weightsOnWinograd)
        {
            WinogradWeightSample(ref xp, ref dzGrid, ref gradientSums);
        }
        else
        {
            ShiftedConv.PackGradient(in _gradientLayout, ref Unsafe.Add(ref dzGrid, _m), _lz, _wp, ref packed);
            ShiftedConv.WeightGradient(in _gradientLayout, ref packed, ref _gradientPositions[0], ref xp, ref _tapOffsets[0], _kc, ref gradientSums);
        }

        if (_wantInput)
        {
            ref float dx = ref Unsafe.AsRef<float>(_dx + ((long)s * InLength));
            if (_onWinograd)
            {
                WinogradInputSample(ref dzGrid, ref dx, ref scratch);
            }
            else if (ShiftedConv.CanCrop)
            {
                ShiftedConv.ProductCropped(ref _packedInput[0], _c, _oc * _kk, ref Unsafe.Add(ref dzGrid, _pad * _wp), ref _inputOffsets[0], _inputCrop, ref dx, _h * _w);
            }
            else
            {
                ShiftedConv.Product(ref _packedInput[0], _c, _oc * _kk, ref Unsafe.Add(ref dzGrid, _pad * _wp), ref _inputOffsets[0], _qxp, ref grid, _qxp);
                if (_inputSums is { } sums && _h * _w <= OutLength)
                {
                    // The crop and the reductions per plane; the activation's room is free once the gradient is on its grid.
                    sums.CropSample(this, s, ref grid, ref dx, ref Unsafe.Add(ref scratch, ActivationOffset));
                    return;
                }

                CropInput(ref grid, ref dx);
            }

            ReduceInputGradientSample(s, ref dx, ref grid);
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}

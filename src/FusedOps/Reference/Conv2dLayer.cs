namespace FusedOps.Reference;

/// <summary>
/// <c>nn.Conv2d</c> with a square kernel and zero padding: weight <c>[out, in/groups, k, k]</c>,
/// plain, weight-normalised or spectrally normalised (<see cref="LayerWeights"/>).
/// Output side = ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1.
/// </summary>
internal sealed class Conv2dLayer : RefLayer
{
    private readonly int _inC;
    private readonly int _inH;
    private readonly int _inW;
    private readonly int _outC;
    private readonly int _outH;
    private readonly int _outW;
    private readonly int _k;
    private readonly int _stride;
    private readonly int _padding;
    private readonly int _dilation;
    private readonly int _groups;
    private readonly LayerWeights _weights;

    private Conv2dLayer(int index, string description, int[] inputShape, int[] outputShape, Conv2dAttribute a)
        : base(index, description, inputShape, outputShape)
    {
        (_inC, _inH, _inW) = (inputShape[0], inputShape[1], inputShape[2]);
        (_outC, _outH, _outW) = (outputShape[0], outputShape[1], outputShape[2]);
        (_k, _stride, _padding, _dilation, _groups) = (a.KernelSize, a.Stride, a.Padding, a.Dilation, a.Groups);
        _weights = new LayerWeights(index, [_outC, _inC / _groups, _k, _k], a.Bias, a.WeightNorm, a.SpectralNorm);
        Parameters = _weights.Parameters;
        Buffers = _weights.Buffers;
    }

    public static Conv2dLayer Create(int index, string description, Conv2dAttribute a, int[] inputShape)
    {
        string? problem =
            inputShape.Length != 3 ? "Conv2d needs a rank-3 input [C, H, W]"
            : inputShape[0] % a.Groups != 0 ? $"Groups = {a.Groups} must divide the {inputShape[0]} input channels"
            : a.OutChannels % a.Groups != 0 ? $"Groups = {a.Groups} must divide the {a.OutChannels} output channels"
            : null;
        if (problem is not null)
        {
            throw LayerFactory.ShapeError(index, description, inputShape, problem);
        }

        LayerWeights.CheckOptions(index, description, inputShape, ("WeightNorm", a.WeightNorm), ("SpectralNorm", a.SpectralNorm));
        int outH = LayerFactory.WindowOutput(inputShape[1], a.KernelSize, a.Stride, a.Padding, a.Dilation);
        int outW = LayerFactory.WindowOutput(inputShape[2], a.KernelSize, a.Stride, a.Padding, a.Dilation);
        if (outH < 1 || outW < 1)
        {
            throw LayerFactory.ShapeError(index, description, inputShape,
                $"the output would be {outH}×{outW}; the padded input is smaller than the dilated kernel ({(a.Dilation * (a.KernelSize - 1)) + 1})");
        }

        return new Conv2dLayer(index, description, inputShape, [a.OutChannels, outH, outW], a);
    }

    public override void Initialize(InitRandom random) => _weights.Initialize(random, _inC / _groups * _k * _k);

    public override double[] Forward(LayerContext context, double[] input)
    {
        (double[] w, double[]? bias) = _weights.Forward(context);
        var output = new double[context.Batch * OutputLength];
        for (int n = 0; n < context.Batch; n++)
        {
            for (int oc = 0; oc < _outC; oc++)
            {
                for (int oh = 0; oh < _outH; oh++)
                {
                    for (int ow = 0; ow < _outW; ow++)
                    {
                        double sum = bias?[oc] ?? 0.0;
                        ForEachTap(n, oc, oh, ow, (xi, wi) => sum += w[wi] * input[xi]);
                        output[OutIndex(n, oc, oh, ow)] = sum;
                    }
                }
            }
        }

        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        double[] x = context.Input;
        double[] w = LayerWeights.SavedWeight(context);
        var gw = new double[w.Length];
        double[]? gb = _weights.BiasGradient(parameterGradients);
        var inputGradient = new double[context.Batch * InputLength];
        for (int n = 0; n < context.Batch; n++)
        {
            for (int oc = 0; oc < _outC; oc++)
            {
                for (int oh = 0; oh < _outH; oh++)
                {
                    for (int ow = 0; ow < _outW; ow++)
                    {
                        double g = outputGradient[OutIndex(n, oc, oh, ow)];
                        if (gb is not null)
                        {
                            gb[oc] += g;
                        }

                        ForEachTap(n, oc, oh, ow, (xi, wi) =>
                        {
                            inputGradient[xi] += g * w[wi];
                            gw[wi] += g * x[xi];
                        });
                    }
                }
            }
        }

        _weights.Backward(context, gw, parameterGradients);
        return inputGradient;
    }

    private int OutIndex(int n, int oc, int oh, int ow) => (((((n * _outC) + oc) * _outH) + oh) * _outW) + ow;

    /// <summary>
    /// Calls <paramref name="tap"/>(input index, weight index) for every kernel tap of output
    /// (n, oc, oh, ow) that lands inside the input; taps on the zero padding contribute nothing.
    /// </summary>
    private void ForEachTap(int n, int oc, int oh, int ow, System.Action<int, int> tap)
    {
        int inPerGroup = _inC / _groups;
        int group = oc / (_outC / _groups);
        for (int icg = 0; icg < inPerGroup; icg++)
        {
            int ic = (group * inPerGroup) + icg;
            for (int kh = 0; kh < _k; kh++)
            {
                int ih = (oh * _stride) - _padding + (kh * _dilation);
                if (ih < 0 || ih >= _inH)
                {
                    continue;
                }

                for (int kw = 0; kw < _k; kw++)
                {
                    int iw = (ow * _stride) - _padding + (kw * _dilation);
                    if (iw < 0 || iw >= _inW)
                    {
                        continue;
                    }

                    int xi = (((((n * _inC) + ic) * _inH) + ih) * _inW) + iw;
                    int wi = (((((oc * inPerGroup) + icg) * _k) + kh) * _k) + kw;
                    tap(xi, wi);
                }
            }
        }
    }
}

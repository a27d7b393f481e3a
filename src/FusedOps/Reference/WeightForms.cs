using System;
using System.Globalization;
using System.Linq;

namespace FusedOps.Reference;

/// <summary>
/// The weight and bias state of a Linear or Conv2d layer. The weight takes one of three forms:
/// plain (<c>{i}.weight</c>), <c>torch.nn.utils.weight_norm</c> or <c>torch.nn.utils.spectral_norm</c>.
/// Both utilities delete <c>weight</c> and register their tensors after the module's own, so
/// the state-dict order is PyTorch's: <c>weight, bias</c>, or <c>bias, weight_g, weight_v</c>, or
/// <c>bias, weight_orig</c> (buffers <c>weight_u, weight_v</c>).
/// </summary>
internal sealed class LayerWeights
{
    private readonly WeightForm _form;
    private readonly int _bias;
    private readonly int[] _formParameters;

    public LayerWeights(int index, int[] weightShape, bool bias, bool weightNorm, bool spectralNorm)
    {
        _form = weightNorm ? new WeightNormForm(weightShape)
            : spectralNorm ? new SpectralNormForm(weightShape)
            : new PlainForm(weightShape);
        Parameter[] form = _form.Parameters.Select(p => State(index, p.Suffix, p.Shape, hasGrad: true)).ToArray();
        Parameter[] biasParameter = bias ? [State(index, "bias", [weightShape[0]], hasGrad: true)] : [];
        Parameters = _form.AfterBias ? [.. biasParameter, .. form] : [.. form, .. biasParameter];
        Buffers = _form.Buffers.Select(b => State(index, b.Suffix, b.Shape, hasGrad: false)).ToArray();
        _bias = bias ? Array.IndexOf(Parameters, biasParameter[0]) : -1;
        _formParameters = form.Select(p => Array.IndexOf(Parameters, p)).ToArray();
    }

    public Parameter[] Parameters { get; }

    public Parameter[] Buffers { get; }

    /// <summary>PyTorch's default: the weight, then the bias, from U(±1/√fanIn); then the form's own state from that weight.</summary>
    public void Initialize(InitRandom random, int fanIn)
    {
        var weight = new float[_form.Rows * _form.Columns];
        random.FillFanIn(weight, fanIn);
        if (_bias >= 0)
        {
            random.FillFanIn(Parameters[_bias].Data, fanIn);
        }

        _form.Initialize(weight, Array.ConvertAll(_formParameters, i => Parameters[i]), Buffers, random);
    }

    /// <summary>What a forward pass keeps for backward: the effective weight and what the form saved.</summary>
    private sealed record Saved(double[] Weight, object? Form);

    /// <summary>
    /// At most one of the weight options may be set; otherwise an error naming those that are.
    /// </summary>
    public static void CheckOptions(int index, string description, int[] inputShape, params (string Name, bool Set)[] options)
    {
        string[] set = options.Where(o => o.Set).Select(o => o.Name + " = true").ToArray();
        if (set.Length > 1)
        {
            throw LayerFactory.ShapeError(index, description, inputShape,
                $"{string.Join(" and ", set)}: at most one of {string.Join(", ", options.Select(o => o.Name))} may be set");
        }
    }

    /// <summary>The effective weight of the last forward through this context.</summary>
    public static double[] SavedWeight(LayerContext context) => ((Saved)context.Saved!).Weight;

    /// <summary>The effective weight and the bias (null without one) for this pass; saves what backward needs in the context.</summary>
    public (double[] Weight, double[]? Bias) Forward(LayerContext context)
    {
        double[][] own = Array.ConvertAll(_formParameters, i => context.Parameters[i]);
        double[] weight = _form.Compute(own, context.Buffers, context.Training, out double[][]? updatedBuffers, out object? saved);
        context.UpdatedBuffers = updatedBuffers;
        context.Saved = new Saved(weight, saved);
        return (weight, _bias >= 0 ? context.Parameters[_bias] : null);
    }

    /// <summary>The bias gradient to add into, or null without a bias.</summary>
    public double[]? BiasGradient(double[][] parameterGradients) => _bias >= 0 ? parameterGradients[_bias] : null;

    /// <summary>Adds to the form's parameter gradients, given the gradient of the effective weight.</summary>
    public void Backward(LayerContext context, double[] weightGradient, double[][] parameterGradients) =>
        _form.Backward(
            Array.ConvertAll(_formParameters, i => context.Parameters[i]),
            ((Saved)context.Saved!).Form,
            weightGradient,
            Array.ConvertAll(_formParameters, i => parameterGradients[i]));

    private static Parameter State(int index, string suffix, int[] shape, bool hasGrad) =>
        new(index.ToString(CultureInfo.InvariantCulture) + "." + suffix, shape, hasGrad);
}

/// <summary>One form of a weight, seen as a matrix <c>[Rows, Columns]</c> (PyTorch's weight reshaped to <c>[out, -1]</c>).</summary>
internal abstract class WeightForm
{
    protected WeightForm(int[] shape)
    {
        Shape = shape;
        Rows = shape[0];
        Columns = RefLayer.Product(shape) / Rows;
    }

    public int[] Shape { get; }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Whether its parameters come after the bias in the state dict.</summary>
    public abstract bool AfterBias { get; }

    public abstract (string Suffix, int[] Shape)[] Parameters { get; }

    public virtual (string Suffix, int[] Shape)[] Buffers => [];

    /// <summary>Sets the state from the layer's default weight, as the utility does when applied to a fresh module.</summary>
    public abstract void Initialize(float[] weight, Parameter[] parameters, Parameter[] buffers, InitRandom random);

    /// <summary>The effective weight; a training pass may return new buffer values.</summary>
    public abstract double[] Compute(double[][] parameters, double[][] buffers, bool training, out double[][]? updatedBuffers, out object? saved);

    /// <summary>Adds the gradients of the form's parameters, given the gradient of the effective weight.</summary>
    public abstract void Backward(double[][] parameters, object? saved, double[] weightGradient, double[][] parameterGradients);

    protected double RowDot(double[] a, int row, double[] b)
    {
        double sum = 0;
        for (int j = 0; j < Columns; j++)
        {
            sum += a[(row * Columns) + j] * b[(row * Columns) + j];
        }

        return sum;
    }
}

/// <summary>The plain weight <c>{i}.weight</c>.</summary>
internal sealed class PlainForm(int[] shape) : WeightForm(shape)
{
    public override bool AfterBias => false;

    public override (string Suffix, int[] Shape)[] Parameters => [("weight", Shape)];

    public override void Initialize(float[] weight, Parameter[] parameters, Parameter[] buffers, InitRandom random) =>
        weight.CopyTo(parameters[0].Data, 0);

    public override double[] Compute(double[][] parameters, double[][] buffers, bool training, out double[][]? updatedBuffers, out object? saved)
    {
        (updatedBuffers, saved) = (null, null);
        return parameters[0];
    }

    public override void Backward(double[][] parameters, object? saved, double[] weightGradient, double[][] parameterGradients)
    {
        for (int k = 0; k < weightGradient.Length; k++)
        {
            parameterGradients[0][k] += weightGradient[k];
        }
    }
}

/// <summary>
/// <c>torch.nn.utils.weight_norm(dim=0)</c>: w = g·v/‖v‖ per row, g <c>[out, 1, …]</c>. Initially
/// v = the default weight and g = its row norms, so the layer starts as the plain one.
/// </summary>
internal sealed class WeightNormForm(int[] shape) : WeightForm(shape)
{
    public override bool AfterBias => true;

    public override (string Suffix, int[] Shape)[] Parameters =>
        [("weight_g", [Rows, .. Enumerable.Repeat(1, Shape.Length - 1)]), ("weight_v", Shape)];

    public override void Initialize(float[] weight, Parameter[] parameters, Parameter[] buffers, InitRandom random)
    {
        double[] v = RefMath.ToDouble(weight);
        for (int r = 0; r < Rows; r++)
        {
            parameters[0].Data[r] = (float)Math.Sqrt(RowDot(v, r, v));
        }

        weight.CopyTo(parameters[1].Data, 0);
    }

    public override double[] Compute(double[][] parameters, double[][] buffers, bool training, out double[][]? updatedBuffers, out object? saved)
    {
        (double[] g, double[] v) = (parameters[0], parameters[1]);
        var norms = new double[Rows];
        var weight = new double[v.Length];
        for (int r = 0; r < Rows; r++)
        {
            norms[r] = Math.Sqrt(RowDot(v, r, v));
            for (int j = 0; j < Columns; j++)
            {
                weight[(r * Columns) + j] = g[r] * v[(r * Columns) + j] / norms[r];
            }
        }

        (updatedBuffers, saved) = (null, norms);
        return weight;
    }

    /// <summary>∂L/∂g = G·v/‖v‖; ∂L/∂v = (g/‖v‖)·(G − (G·v/‖v‖²)·v), row by row.</summary>
    public override void Backward(double[][] parameters, object? saved, double[] weightGradient, double[][] parameterGradients)
    {
        (double[] g, double[] v, double[] norms) = (parameters[0], parameters[1], (double[])saved!);
        for (int r = 0; r < Rows; r++)
        {
            double gv = RowDot(weightGradient, r, v);
            parameterGradients[0][r] += gv / norms[r];
            for (int j = 0; j < Columns; j++)
            {
                int k = (r * Columns) + j;
                parameterGradients[1][k] += g[r] / norms[r] * (weightGradient[k] - (gv / (norms[r] * norms[r]) * v[k]));
            }
        }
    }
}

/// <summary>
/// <c>torch.nn.utils.spectral_norm</c> (one power iteration, eps 1e-12): w = w_orig/σ, σ = uᵀ·W·v.
/// A training pass first updates v = normalize(Wᵀu), then u = normalize(W·v); eval uses the
/// stored u, v. As in PyTorch u and v are constants to autograd:
/// ∂L/∂W = G/σ − (⟨G, W⟩/σ²)·u·vᵀ.
/// </summary>
internal sealed class SpectralNormForm(int[] shape) : WeightForm(shape)
{
    private const double Eps = 1e-12;

    private sealed record Saved(double[] U, double[] V, double Sigma);

    public override bool AfterBias => true;

    public override (string Suffix, int[] Shape)[] Parameters => [("weight_orig", Shape)];

    public override (string Suffix, int[] Shape)[] Buffers => [("weight_u", [Rows]), ("weight_v", [Columns])];

    public override void Initialize(float[] weight, Parameter[] parameters, Parameter[] buffers, InitRandom random)
    {
        weight.CopyTo(parameters[0].Data, 0);
        random.FillUnitVector(buffers[0].Data);
        random.FillUnitVector(buffers[1].Data);
    }

    public override double[] Compute(double[][] parameters, double[][] buffers, bool training, out double[][]? updatedBuffers, out object? saved)
    {
        double[] w = parameters[0];
        double[] u = buffers[0], v = buffers[1];
        updatedBuffers = null;
        if (training)
        {
            v = Normalize(Multiply(w, u, transpose: true));
            u = Normalize(Multiply(w, v, transpose: false));
            updatedBuffers = [u, v];
        }

        double[] wv = Multiply(w, v, transpose: false);
        double sigma = 0;
        for (int r = 0; r < Rows; r++)
        {
            sigma += u[r] * wv[r];
        }

        saved = new Saved(u, v, sigma);
        return Array.ConvertAll(w, x => x / sigma);
    }

    public override void Backward(double[][] parameters, object? saved, double[] weightGradient, double[][] parameterGradients)
    {
        (double[] u, double[] v, double sigma) = (Saved)saved!;
        double[] w = parameters[0];
        double gw = 0;
        for (int k = 0; k < w.Length; k++)
        {
            gw += weightGradient[k] * w[k];
        }

        for (int r = 0; r < Rows; r++)
        {
            for (int j = 0; j < Columns; j++)
            {
                int k = (r * Columns) + j;
                parameterGradients[0][k] += (weightGradient[k] / sigma) - (gw / (sigma * sigma) * u[r] * v[j]);
            }
        }
    }

    /// <summary>W·x (x of length Columns) or Wᵀ·x (x of length Rows).</summary>
    private double[] Multiply(double[] w, double[] x, bool transpose)
    {
        var y = new double[transpose ? Columns : Rows];
        for (int r = 0; r < Rows; r++)
        {
            for (int j = 0; j < Columns; j++)
            {
                if (transpose)
                {
                    y[j] += w[(r * Columns) + j] * x[r];
                }
                else
                {
                    y[r] += w[(r * Columns) + j] * x[j];
                }
            }
        }

        return y;
    }

    /// <summary><c>torch.nn.functional.normalize(x, dim=0, eps)</c>: x / max(‖x‖, eps).</summary>
    private static double[] Normalize(double[] x)
    {
        double norm = Math.Max(Math.Sqrt(x.Sum(e => e * e)), Eps);
        return Array.ConvertAll(x, e => e / norm);
    }
}

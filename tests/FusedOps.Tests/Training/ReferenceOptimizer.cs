using System;
using System.Collections.Generic;

namespace FusedOps.Tests.Training;

/// <summary>
/// torch.optim's update rules written out in double from PyTorch's single-tensor code, independent
/// of the library's kernels: the yardstick for every optimiser over random settings.
/// </summary>
internal sealed class ReferenceOptimizer(string type, IReadOnlyDictionary<string, object> arguments)
{
    private readonly Dictionary<(int, string), double[]> _state = new();
    private long _step;

    public void Step(double[][] parameters, double[][] gradients)
    {
        _step++;
        for (int i = 0; i < parameters.Length; i++)
        {
            double[] p = parameters[i];
            for (int j = 0; j < p.Length; j++)
            {
                Update(i, j, p, gradients[i][j]);
            }
        }
    }

    private double Arg(string name, double fallback) => arguments.TryGetValue(name, out object? v) ? Convert.ToDouble(v) : fallback;

    private bool Flag(string name) => arguments.TryGetValue(name, out object? v) && (bool)v;

    private ref double S(int i, string key, int j, int length, double initial = 0)
    {
        if (!_state.TryGetValue((i, key), out double[]? s))
        {
            s = new double[length];
            Array.Fill(s, initial);
            _state[(i, key)] = s;
        }

        return ref s[j];
    }

    private void Update(int i, int j, double[] param, double g)
    {
        int n = param.Length;
        ref double p = ref param[j];
        double lr = Arg("learningRate", double.NaN);
        switch (type)
        {
            case "Sgd":
            {
                double momentum = Arg("momentum", 0), dampening = Arg("dampening", 0), wd = Arg("weightDecay", 0);
                g += wd * p;
                if (momentum != 0)
                {
                    ref double buf = ref S(i, "buf", j, n);
                    buf = _step == 1 ? g : (momentum * buf) + ((1 - dampening) * g);
                    g = Flag("nesterov") ? g + (momentum * buf) : buf;
                }

                p -= lr * g;
                break;
            }

            case "Adam" or "AdamW":
            {
                double b1 = Arg("beta1", 0.9), b2 = Arg("beta2", 0.999), eps = Arg("epsilon", 1e-8);
                double wd = Arg("weightDecay", type == "AdamW" ? 1e-2 : 0);
                lr = Arg("learningRate", 1e-3);
                if (type == "AdamW")
                {
                    p *= 1 - (lr * wd);
                }
                else
                {
                    g += wd * p;
                }

                ref double m = ref S(i, "m", j, n);
                ref double v = ref S(i, "v", j, n);
                m = (b1 * m) + ((1 - b1) * g);
                v = (b2 * v) + ((1 - b2) * g * g);
                double second = v;
                if (Flag("amsGrad"))
                {
                    ref double vMax = ref S(i, "vmax", j, n);
                    vMax = Math.Max(vMax, v);
                    second = vMax;
                }

                double denominator = (Math.Sqrt(second) / Math.Sqrt(1 - Math.Pow(b2, _step))) + eps;
                p -= lr / (1 - Math.Pow(b1, _step)) * m / denominator;
                break;
            }

            case "AdaGrad":
            {
                lr = Arg("learningRate", 1e-2);
                g += Arg("weightDecay", 0) * p;
                ref double sum = ref S(i, "sum", j, n, Arg("initialAccumulator", 0));
                sum += g * g;
                p -= lr / (1 + ((_step - 1) * Arg("learningRateDecay", 0))) * g / (Math.Sqrt(sum) + Arg("epsilon", 1e-10));
                break;
            }

            case "Adadelta":
            {
                double rho = Arg("rho", 0.9), eps = Arg("epsilon", 1e-6);
                lr = Arg("learningRate", 1);
                g += Arg("weightDecay", 0) * p;
                ref double sq = ref S(i, "sq", j, n);
                ref double acc = ref S(i, "acc", j, n);
                sq = (rho * sq) + ((1 - rho) * g * g);
                double delta = Math.Sqrt(acc + eps) / Math.Sqrt(sq + eps) * g;
                acc = (rho * acc) + ((1 - rho) * delta * delta);
                p -= lr * delta;
                break;
            }

            case "RmsProp":
            {
                double alpha = Arg("alpha", 0.99), momentum = Arg("momentum", 0);
                lr = Arg("learningRate", 1e-2);
                g += Arg("weightDecay", 0) * p;
                ref double sq = ref S(i, "sq", j, n);
                sq = (alpha * sq) + ((1 - alpha) * g * g);
                double variance = sq;
                if (Flag("centered"))
                {
                    ref double mean = ref S(i, "mean", j, n);
                    mean = (alpha * mean) + ((1 - alpha) * g);
                    variance -= mean * mean;
                }

                double avg = Math.Sqrt(variance) + Arg("epsilon", 1e-8);
                if (momentum > 0)
                {
                    ref double buf = ref S(i, "buf", j, n);
                    buf = (momentum * buf) + (g / avg);
                    p -= lr * buf;
                }
                else
                {
                    p -= lr * g / avg;
                }

                break;
            }

            default:
                throw new ArgumentException($"No reference for {type}.");
        }
    }
}

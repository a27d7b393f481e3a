using System;
using System.Globalization;
using FashionData = FusedOps.Data.FashionMnist;

namespace FusedOps.Samples.FashionMnist;

/// <summary>Command-line options.</summary>
internal sealed record Options(string DataDirectory, int Epochs, int Threads, string OutputDirectory, int Seed, int? Bits = null)
{
    public const int DefaultEpochs = 3;

    private const string Usage = """
        Usage: FusedOps.Samples.FashionMnist [--epochs N] [--data DIR] [--threads N] [--out DIR] [--seed N] [--bits N]
          --epochs N    training epochs (default 3)
          --data DIR    directory with the four Fashion-MNIST IDX files, raw or .gz (default /usr/share/datasets/fashion-mnist)
          --threads N   threads for training (KernelOptions.MaxDegreeOfParallelism) and evaluation (default: all cores)
          --out DIR     where the model and the learning-curve PNG go (default ./fashion-mnist-out)
          --seed N      initialisation and shuffling seed (default 1)
          --bits N      widest vectors the kernels use: 512, 256, 128 or 0 (KernelOptions.MaxVectorBits; default: the machine's)
        """;

    /// <summary>Parses the arguments, or prints the usage and returns null.</summary>
    public static Options? Parse(string[] args)
    {
        var options = new Options(FashionData.DebianDirectory, DefaultEpochs, Environment.ProcessorCount, "fashion-mnist-out", 1);
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "-h" or "--help")
            {
                Console.WriteLine(Usage);
                return null;
            }

            if (i + 1 >= args.Length)
            {
                return Fail($"{name} needs a value.");
            }

            string value = args[++i];
            switch (name)
            {
                case "--data":
                    options = options with { DataDirectory = value };
                    break;
                case "--out":
                    options = options with { OutputDirectory = value };
                    break;
                case "--bits":
                    if (value is not ("512" or "256" or "128" or "0"))
                    {
                        return Fail($"--bits takes 512, 256, 128 or 0, got '{value}'.");
                    }

                    options = options with { Bits = int.Parse(value, CultureInfo.InvariantCulture) };
                    break;
                case "--epochs" or "--threads" or "--seed":
                    if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number) || (name != "--seed" && number < 1))
                    {
                        return Fail($"{name} needs a whole number{(name == "--seed" ? "" : " >= 1")}, got '{value}'.");
                    }

                    if (name == "--threads" && number > 64)
                    {
                        return Fail($"--threads takes 1 to 64 (KernelOptions.MaxDegreeOfParallelism), got {number}.");
                    }

                    options = name switch
                    {
                        "--epochs" => options with { Epochs = number },
                        "--threads" => options with { Threads = number },
                        _ => options with { Seed = number },
                    };
                    break;
                default:
                    return Fail($"Unknown option '{name}'.");
            }
        }

        return options;
    }

    private static Options? Fail(string message)
    {
        Console.Error.WriteLine(message);
        Console.Error.WriteLine(Usage);
        return null;
    }
}

namespace FusedOps.Generator.Parse;

/// <summary>Range checks of the layers added after the second design (activations, norms, pooling, Dropout).</summary>
internal static partial class LayerReader
{
    /// <summary>Arguments that are finite yet make the activation undefined: Softplus divides by β, ISRU takes √(1 + αx²).</summary>
    private static void CheckActivation(Reader reader, string name, float[] args)
    {
        switch (name)
        {
            case "Softplus":
                reader.NonZeroFloat("Beta", args[0]);
                break;
            case "Isru":
            case "Isrlu":
                reader.NonNegativeFloat("Alpha", args[0]);
                break;
        }
    }
}

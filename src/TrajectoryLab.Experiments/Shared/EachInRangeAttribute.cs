// [Range] for every element of a list option (ε values, temperatures, layers): DataAnnotations checks a list as a whole,
// so a value such as epsilons: [1e9] would otherwise pass. The error names the element's key, e.g. 'epsilons:0'.
using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>Every element of the list must be a finite number in [<see cref="Minimum"/>, <see cref="Maximum"/>].</summary>
/// <param name="minimum">The smallest allowed value.</param>
/// <param name="maximum">The largest allowed value.</param>
[AttributeUsage(AttributeTargets.Property)]
public sealed class EachInRangeAttribute(double minimum, double maximum) : ValidationAttribute
{
    /// <summary>The smallest allowed value.</summary>
    public double Minimum { get; } = minimum;

    /// <summary>The largest allowed value.</summary>
    public double Maximum { get; } = maximum;

    /// <inheritdoc/>
    protected override ValidationResult? IsValid(object? value, ValidationContext context)
    {
        if (value is not IEnumerable list)
            return ValidationResult.Success;
        var i = 0;
        foreach (var item in list)
        {
            var x = Convert.ToDouble(item, CultureInfo.InvariantCulture);
            if (!double.IsFinite(x) || x < Minimum || x > Maximum)
                return new ValidationResult(
                    string.Create(CultureInfo.InvariantCulture, $"{x} is outside [{Minimum}, {Maximum}]"),
                    [$"{context.MemberName}:{i}"]
                );
            i++;
        }
        return ValidationResult.Success;
    }
}

import { FieldProblem } from '../../common/validation';
import { ChargeDto } from './dto/charge.dto';

export const MAX_ALERTS = 10;

/** Stored and answered as given: `{ percent }` or `{ units }`. */
export type Alert = { percent: number } | { units: number };

/** What is wrong with a charge's alerts beyond each one's own rules (the DTO checks those). */
export function alertProblems(charge: ChargeDto, i: number): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  (charge.alerts ?? []).forEach((alert, j) => {
    const field = `charges[${i}].alerts[${j}]`;
    const hasPercent = alert.percent !== undefined;
    if (hasPercent === (alert.units !== undefined)) {
      problems.push({ field, problems: [`${field} must have exactly one of percent or units`] });
      return;
    }
    if (hasPercent && (charge.limit === undefined || charge.limit === null)) {
      problems.push({ field, problems: [`${field}: a percent alert needs a limit on the charge`] });
    }
    const key = hasPercent ? `percent:${alert.percent}` : `units:${alert.units}`;
    if (seen.has(key)) problems.push({ field, problems: [`${field} repeats an alert of the same charge`] });
    seen.add(key);
  });
  return problems;
}

/** The alerts as stored (null for none): only the field each one has. */
export function storedAlerts(charge: ChargeDto): Alert[] | null {
  if (!charge.alerts || charge.alerts.length === 0) return null;
  return charge.alerts.map((a) => (a.percent !== undefined ? { percent: a.percent } : { units: a.units! }));
}

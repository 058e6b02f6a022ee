import { applyDecorators } from '@nestjs/common';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

/** Keys of features and plans: stable identifiers that appear in URLs. */
export const IsKey = () =>
  applyDecorators(
    IsString(),
    MaxLength(100),
    Matches(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, {
      message: '$property must start with a letter or digit and hold only letters, digits, _ . : -',
    }),
  );

/** A required human-readable name. */
export const IsName = () => applyDecorators(IsString(), IsNotEmpty(), MaxLength(255));

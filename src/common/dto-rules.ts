import { applyDecorators } from '@nestjs/common';
import { IsNotEmpty, IsString, Matches, MaxLength, ValidateBy, ValidateIf } from 'class-validator';

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

/**
 * A field an edit must not carry, refused with the reason: clearer than the whitelist's "property
 * should not exist", and refused even as null. Give it @ApiHideProperty() too, written on the
 * property itself, where the OpenAPI CLI plugin sees it.
 */
export const Unchangeable = (why: string): PropertyDecorator =>
  applyDecorators(
    // JSON cannot carry undefined: any value sent, null included, is refused.
    ValidateIf((_object: object, value: unknown) => value !== undefined),
    ValidateBy({
      name: 'unchangeable',
      validator: { validate: () => false, defaultMessage: (args) => `${args?.property} cannot change: ${why}` },
    }),
  );

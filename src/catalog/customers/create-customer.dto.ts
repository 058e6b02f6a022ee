import { IsEmail, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsName } from '../../common/dto-rules';

export class CreateCustomerDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  externalId: string;

  @IsName()
  name: string;

  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string;
}

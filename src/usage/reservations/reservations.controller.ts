import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { ErrorCode } from '../../common/errors/tally.error';
import { ApiErrors, ApiV1, BODY_ERRORS } from '../../openapi/api-errors.decorator';
import { CommitReservationDto } from './dto/commit-reservation.dto';
import { CreateReservationDto } from './dto/create-reservation.dto';
import { CommitAnswerResponse, HeldReservationResponse, ReservationResponse } from './dto/reservation.responses';
import { ReservationsService } from './reservations.service';

@ApiV1('reservations')
@Controller('v1/reservations')
export class ReservationsController {
  constructor(private readonly reservations: ReservationsService) {}

  /** 201 when held; 200 when the idempotencyKey names a reservation made before (nothing held again). */
  @Post()
  @ApiCreatedResponse({ type: HeldReservationResponse, description: 'Held: the quantity counts against the limit until committed, released or expired' })
  @ApiOkResponse({ type: HeldReservationResponse, description: 'The reservation the idempotencyKey already names; nothing held again' })
  @ApiErrors(...BODY_ERRORS, ErrorCode.NotFound, ErrorCode.PeriodClosed, ErrorCode.LimitExceeded)
  async create(@Body() dto: CreateReservationDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<HeldReservationResponse> {
    const { reservation, created } = await this.reservations.create(dto);
    reply.status(created ? 201 : 200);
    return reservation;
  }

  /** 201 with the v1 usage answer of the event it counted; 200 duplicate: true when committed before. */
  @Post(':id/commit')
  @ApiCreatedResponse({ type: CommitAnswerResponse, description: 'Committed: `quantity` counted as usage, the rest released' })
  @ApiOkResponse({ type: CommitAnswerResponse, description: 'duplicate: true: committed before; the same answer, nothing counted again' })
  @ApiErrors(...BODY_ERRORS, ErrorCode.NotFound, ErrorCode.ReservationClosed, ErrorCode.PeriodClosed)
  async commit(
    @Param('id') id: string,
    @Body() dto: CommitReservationDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CommitAnswerResponse> {
    const { answer, duplicate } = await this.reservations.commit(id, dto.quantity);
    reply.status(duplicate ? 200 : 201);
    return answer;
  }

  /** The held quantity is free again at once. Releasing a released reservation answers the same. */
  @Post(':id/release')
  @HttpCode(200)
  @ApiOkResponse({ type: ReservationResponse })
  @ApiErrors(ErrorCode.NotFound, ErrorCode.ReservationClosed)
  release(@Param('id') id: string): Promise<ReservationResponse> {
    return this.reservations.release(id);
  }

  @Get(':id')
  @ApiOkResponse({ type: ReservationResponse })
  @ApiErrors(ErrorCode.NotFound)
  get(@Param('id') id: string): Promise<ReservationResponse> {
    return this.reservations.get(id);
  }
}
